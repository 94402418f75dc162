// The main job: blue v1 -> deploy green v2 -> shift 10/50/100 -> roll back, printing each step, how
// long its `pulumi up` took and the split measured through the router. On the local stack by
// default; `--target kubernetes` runs the same steps on the `kube` stack on the project's own
// cluster, measured through its Gateway.
import { spawnSync } from "child_process";
import * as path from "path";
import { UsageError, parseFlags, runMain } from "./cli-args";
import { cluster, kubeconfig, kubectl, kubernetesStackConfig, SECRET_KEYS } from "./cluster-stack";
import { measureSplit } from "./load";

const ROOT = path.resolve(__dirname, "..", "..");
const USAGE = "npm run demo [-- --target local|kubernetes]";
// The demo runs any day: its policy config opens the deployment window on every day and says so.
const POLICY_CONFIG = path.join(ROOT, "policies", "config", "demo.json");

interface DemoTarget {
  stack: string;
  /** Stack config the target needs beyond the steps' own (set before the first step). */
  config: Record<string, string>;
  /** Headers that reach the service through the router (the Gateway's virtual host). */
  headers: Record<string, string>;
  /** Runs before the first step (brings up what the target runs on). */
  prepare(): Promise<void>;
  /** How to look around and tear down afterwards. */
  epilogue(url: string): string;
}

const KUBE_NAMESPACE = "runbook-demo";
const KUBE_HOST = "demo.runbook.test";

const TARGETS: Record<string, DemoTarget> = {
  local: {
    stack: "local",
    config: {},
    headers: {},
    async prepare() {},
    epilogue: () => `Tear it down:            npm run pulumi -- destroy --yes -s local`,
  },
  kubernetes: {
    stack: "kube",
    config: { ...kubernetesStackConfig(KUBE_NAMESPACE, KUBE_HOST), "blue.replicas": "2", "green.replicas": "2" },
    headers: { host: KUBE_HOST },
    async prepare() {
      console.log("bringing up the cluster (npm run cluster -- up)...");
      await cluster(["up"], { progress: true });
      await cluster(["release", "v1.0.0", "v2.0.0"]);
      const namespaces = await kubectl("get", "namespaces", "-o", "name");
      if (!namespaces.split("\n").includes(`namespace/${KUBE_NAMESPACE}`)) await kubectl("create", "namespace", KUBE_NAMESPACE);
    },
    epilogue: (url) =>
      [
        `Through the Gateway:     curl -H 'Host: ${KUBE_HOST}' ${url}/   (add -H 'X-Runbook-Color: green' for one color)`,
        `Look at the objects:     npm run cluster -- kubectl -n ${KUBE_NAMESPACE} get deployments,pods,services,httproutes`,
        `                         (or kubectl --kubeconfig ${kubeconfig()})`,
        `Tear it down:            npm run pulumi -- destroy --yes -s kube && npm run cluster -- down`,
      ].join("\n"),
  },
};

function pulumi(stack: string, args: string[], quiet = true): { code: number; out: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, "scripts", "pulumi.js"), ...args, "--stack", stack], {
    cwd: ROOT,
    env: { ...process.env, RUNBOOK_POLICY_CONFIG: POLICY_CONFIG },
    encoding: "utf8",
    stdio: quiet ? "pipe" : "inherit",
  });
  return { code: r.status ?? 1, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

function must(stack: string, args: string[]): string {
  const r = pulumi(stack, args);
  if (r.code !== 0) {
    console.error(r.out);
    throw new Error(`pulumi ${args.join(" ")} failed`);
  }
  return r.out;
}

async function step(t: DemoTarget, n: number, total: number, title: string, edits: [string, string][]): Promise<void> {
  for (const [k, v] of edits) must(t.stack, ["config", "set", "--path", k, v]);
  process.stdout.write(`step ${n}/${total}: ${title} ... `);
  const started = Date.now();
  must(t.stack, ["up", "--yes", "--skip-preview", "--non-interactive"]);
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const outputs = JSON.parse(must(t.stack, ["stack", "output", "--json"]));
  const split = await measureSplit(`${outputs.url}/`, 2000, t.headers);
  const pct = (x: number) => `${((x / 2000) * 100).toFixed(1)}%`;
  console.log(
    `up ${secs}s (${outputs.change.kind}); configured blue ${outputs.traffic.blue}% / green ${outputs.traffic.green}%, measured over 2000 requests: blue ${pct(split.blue)} / green ${pct(split.green)}${split.other ? `, ${split.other} failed` : ""}`,
  );
}

async function main(): Promise<number> {
  const flags = parseFlags(process.argv.slice(2), { target: { type: "string", description: "where to run", choices: Object.keys(TARGETS) } }, USAGE);
  const t = TARGETS[flags.target ?? "local"];
  if (!t) throw new UsageError(`--target: allowed values: ${Object.keys(TARGETS).join(", ")}\nusage: ${USAGE}`);
  await t.prepare();
  if (pulumi(t.stack, ["stack", "select"]).code !== 0) must(t.stack, ["stack", "init", "--secrets-provider", "passphrase"]);
  for (const [k, v] of Object.entries(t.config)) must(t.stack, ["config", "set", "--path", k, v, ...(SECRET_KEYS.has(k) ? ["--secret"] : [])]);
  console.log(`deployment-runbook demo on stack "${t.stack}" (policy config ${path.relative(ROOT, POLICY_CONFIG)})`);
  const steps: [string, [string, string][]][] = [
    ["blue v1.0.0 serves 100%", [["blue.version", "v1.0.0"], ["traffic.green", "0"]]],
    ["deploy green v2.0.0 (no traffic yet)", [["green.version", "v2.0.0"]]],
    ["shift 10% to green", [["traffic.green", "10"]]],
    ["shift 50% to green", [["traffic.green", "50"]]],
    ["shift 100% to green", [["traffic.green", "100"]]],
    ["roll back to blue (instant)", [["traffic.green", "0"]]],
  ];
  for (let i = 0; i < steps.length; i++) await step(t, i + 1, steps.length, steps[i][0], steps[i][1]);
  const outputs = JSON.parse(must(t.stack, ["stack", "output", "--json"]));
  console.log(`
The stack is still running at ${outputs.url} (blue ${outputs.versions.blue}, green ${outputs.versions.green}).
Shift traffic by hand:   npm run pulumi -- config set --path traffic.green 10 -s ${t.stack} && npm run pulumi -- up -s ${t.stack}
Dry run a change:        npm run pulumi -- preview -s ${t.stack}
${t.epilogue(outputs.url)}`);
  return 0;
}

runMain(main);
