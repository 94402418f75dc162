// The main job on the local stack: blue v1 -> deploy green v2 -> shift 10/50/100 -> roll back,
// printing each step, how long its `pulumi up` took and the split measured through the router.
import { spawnSync } from "child_process";
import * as path from "path";
import { measureSplit } from "./load";

const ROOT = path.resolve(__dirname, "..", "..");
const STACK = "local";
// The demo runs any day: its policy config opens the deployment window on every day and says so.
const POLICY_CONFIG = path.join(ROOT, "policies", "config", "demo.json");

function pulumi(args: string[], quiet = true): { code: number; out: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, "scripts", "pulumi.js"), ...args, "--stack", STACK], {
    cwd: ROOT,
    env: { ...process.env, RUNBOOK_POLICY_CONFIG: POLICY_CONFIG },
    encoding: "utf8",
    stdio: quiet ? "pipe" : "inherit",
  });
  return { code: r.status ?? 1, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

function must(args: string[]): string {
  const r = pulumi(args);
  if (r.code !== 0) {
    console.error(r.out);
    throw new Error(`pulumi ${args.join(" ")} failed`);
  }
  return r.out;
}

async function step(n: number, total: number, title: string, edits: [string, string][]): Promise<void> {
  for (const [k, v] of edits) must(["config", "set", "--path", k, v]);
  process.stdout.write(`step ${n}/${total}: ${title} ... `);
  const started = Date.now();
  must(["up", "--yes", "--skip-preview", "--non-interactive"]);
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const outputs = JSON.parse(must(["stack", "output", "--json"]));
  const split = await measureSplit(`${outputs.url}/`, 2000);
  const pct = (x: number) => `${((x / 2000) * 100).toFixed(1)}%`;
  console.log(
    `up ${secs}s (${outputs.change.kind}); configured blue ${outputs.traffic.blue}% / green ${outputs.traffic.green}%, measured over 2000 requests: blue ${pct(split.blue)} / green ${pct(split.green)}${split.other ? `, ${split.other} failed` : ""}`,
  );
}

async function main() {
  if (pulumi(["stack", "select"]).code !== 0) must(["stack", "init", "--secrets-provider", "passphrase"]);
  console.log(`deployment-runbook demo on stack "${STACK}" (policy config ${path.relative(ROOT, POLICY_CONFIG)})`);
  const steps: [string, [string, string][]][] = [
    ["blue v1.0.0 serves 100%", [["blue.version", "v1.0.0"], ["traffic.green", "0"]]],
    ["deploy green v2.0.0 (no traffic yet)", [["green.version", "v2.0.0"]]],
    ["shift 10% to green", [["traffic.green", "10"]]],
    ["shift 50% to green", [["traffic.green", "50"]]],
    ["shift 100% to green", [["traffic.green", "100"]]],
    ["roll back to blue (instant)", [["traffic.green", "0"]]],
  ];
  for (let i = 0; i < steps.length; i++) await step(i + 1, steps.length, steps[i][0], steps[i][1]);
  const outputs = JSON.parse(must(["stack", "output", "--json"]));
  console.log(`
The stack is still running at ${outputs.url} (blue ${outputs.versions.blue}, green ${outputs.versions.green}).
Shift traffic by hand:   npm run pulumi -- config set --path traffic.green 10 -s local && npm run pulumi -- up -s local
Dry run a change:        npm run pulumi -- preview -s local
Tear it down:            npm run pulumi -- destroy --yes -s local`);
}

main().catch((e) => {
  console.error(e.message);
  process.exitCode = 1;
});
