// The benchmark's flagger section: Flagger (built here from its Go module) and `npm run deploy`
// side by side on the project's own cluster, the same Gateway (Traefik) and Prometheus, with the
// same two releases under the same client load:
//
//   bad    the new release answers 5% of requests with errors from its first request
//   good   the new release is sound; each tool takes it to 100% of traffic
//
// Both are told the same: steps 10% and 50% then 100%, error rate above 1% fails, one failed check
// rolls back, and a check every 10 s (Flagger raises any analysis interval below 10 s to 10 s, so
// this is the shortest it accepts; our pause is set to the same). What the clients saw decides the
// figures: a probe records which release answered each request, and hey counts failed requests.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stateDir } from "../components/state-dir";
import { CLUSTER_PROMETHEUS_URL, cluster, fromPods, GATEWAY_URL, kubeconfig, kubectl, kubernetesStackConfig, SAMPLE_IMAGE, SECRET_KEYS } from "../scripts/cluster-stack";
import { LoadReport, startLoad } from "../scripts/load";
import * as paths from "../components/targets/local/paths";
import { RunResult, ThrowawayStack } from "../test/integration/harness";
import { startProbe } from "./probe";
import { secs, sleep } from "./stats";

const NS = "flagger-race";
const TARGET = "race";
const HOST = `${TARGET}.flagger.test`;
const INTERVAL = "10s";
const STEPS = [10, 50];
const MAX_ERROR_RATE_PERCENT = 1;
const FLAGGER_PORT = 18095;
const LOAD = { concurrency: 8, perWorkerRps: 15, maxSeconds: 1200 };
const STABLE = "v1.0.0";
const BAD = "v2.0.0";
const GOOD = "v2.1.0";

export interface FlaggerFigure {
  figure: string;
  value: string;
  runs: string;
  notes: string;
}

/** What the clients saw during one release, from its start (t0). */
interface Outcome {
  tool: string;
  release: "bad" | "good";
  /** The release's first answer to a client, ms after t0; undefined when it never answered one. */
  firstAnswerMs?: number;
  /** When the tool decided (rollback or failure), ms after t0. */
  decisionMs?: number;
  /** The bad release's last answer to a client, ms after t0. */
  lastAnswerMs?: number;
  /** Good release: the old release's last answer, after which the new one serves everything. */
  fullyServedMs?: number;
  /** The tool's own end (Flagger's Succeeded or Failed, the deploy command's exit), ms after t0. */
  doneMs: number;
  failed: number;
  requests: number;
}

async function buildFlagger(log: (m: string) => void): Promise<{ bin: string; crds: string; version: string }> {
  const script = path.join(__dirname, "..", "..", "bench", "flagger", "build-flagger.sh");
  const child = spawn("bash", [script], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  const code = await new Promise<number | null>((r) => child.on("close", r));
  const bin = /^flagger=(.+)$/m.exec(out)?.[1];
  const mod = /^flagger-module=(.+)$/m.exec(out)?.[1];
  if (code !== 0 || !bin || !mod) throw new Error(`bench/flagger/build-flagger.sh exited ${code}:\n${out}`);
  const version = /@(v[\d.]+)$/.exec(mod)?.[1] ?? "unknown";
  log(`flagger ${version}: ${bin}`);
  return { bin: path.join(bin, "flagger"), crds: path.join(mod, "artifacts", "flagger", "crd.yaml"), version };
}

async function apply(objects: object[]): Promise<void> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "runbook-flagger-")), "objects.json");
  fs.writeFileSync(file, JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
  try {
    await kubectl("apply", "-f", file);
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

/** The Deployment Flagger takes over, built like the kubernetes target's colors (probes, preStop, two pods). */
function targetDeployment(version: string) {
  const labels = { app: TARGET, "deployment-runbook/stack": NS };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: TARGET, namespace: NS, labels: { app: TARGET } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: TARGET } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: 35,
          containers: [
            {
              name: TARGET,
              image: `${SAMPLE_IMAGE}:${version}`,
              imagePullPolicy: "Never",
              ports: [{ name: "http", containerPort: 8080 }],
              // Flagger's client (Kubernetes 1.27 types) drops a `sleep` preStop handler when it
              // copies the pod spec to the primary; the same pause as an exec of the image's node.
              lifecycle: { preStop: { exec: { command: ["node", "-e", "setTimeout(() => {}, 5000)"] } } },
              env: [
                { name: "RUNBOOK_VERSION", value: version },
                { name: "RUNBOOK_COLOR", value: "blue" },
                { name: "PORT", value: "8080" },
                { name: "HOST", value: "0.0.0.0" },
                { name: "FAULT_ERROR_RATE_PERCENT", value: "0" },
              ],
              envFrom: [{ secretRef: { name: `${TARGET}-backing` } }],
              resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
              startupProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 2, failureThreshold: 30 },
              readinessProbe: { httpGet: { path: "/readyz", port: "http" }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 },
              livenessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
            },
          ],
        },
      },
    },
  };
}

function flaggerObjects() {
  // The error rate of the canary's pods (Flagger's canary keeps the target's `app` label; the
  // primary's pods get `<app>-primary`), from the same counters our analysis reads.
  const sel = `namespace="{{ namespace }}",service="{{ target }}"`;
  const query = `100 * (sum(rate(runbook_http_request_errors_total{${sel}}[{{ interval }}])) or on() vector(0)) / sum(rate(runbook_http_requests_total{${sel}}[{{ interval }}]))`;
  return [
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `${TARGET}-backing`, namespace: NS },
      stringData: { DATABASE_URL: fromPods(paths.postgresAdminUrl()), REDIS_URL: fromPods(paths.redisUrl()) },
    },
    { apiVersion: "flagger.app/v1beta1", kind: "MetricTemplate", metadata: { name: "error-rate", namespace: NS }, spec: { provider: { type: "prometheus", address: CLUSTER_PROMETHEUS_URL }, query } },
    targetDeployment(STABLE),
    {
      apiVersion: "flagger.app/v1beta1",
      kind: "Canary",
      metadata: { name: TARGET, namespace: NS },
      spec: {
        targetRef: { apiVersion: "apps/v1", kind: "Deployment", name: TARGET },
        progressDeadlineSeconds: 300,
        service: { port: 80, targetPort: 8080, hosts: [HOST], gatewayRefs: [{ name: "runbook-gateway", namespace: "default" }] },
        analysis: {
          interval: INTERVAL,
          threshold: 1,
          stepWeights: STEPS,
          metrics: [{ name: "error-rate-percent", templateRef: { name: "error-rate", namespace: NS }, thresholdRange: { max: MAX_ERROR_RATE_PERCENT }, interval: INTERVAL }],
        },
      },
    },
  ];
}

async function canaryPhase(): Promise<string> {
  return (await kubectl("-n", NS, "get", "canary", TARGET, "-o", "jsonpath={.status.phase}").catch(() => "")).trim();
}

/** Set while Flagger runs: throws once its process has exited, so a crash is not waited out. */
let flaggerAlive = () => {};

/** Polls the Canary's phase until it is one of `until`; returns when each phase was first seen. */
async function watchPhases(until: string[], t0: number, timeoutMs: number): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (;;) {
    flaggerAlive();
    const phase = await canaryPhase();
    if (phase && !seen.has(phase)) seen.set(phase, Date.now() - t0);
    if (until.includes(phase)) return seen;
    if (Date.now() - t0 > timeoutMs) throw new Error(`Flagger's canary stayed short of ${until.join("/")} for ${timeoutMs / 1000} s (phases seen: ${[...seen.keys()].join(", ")})`);
    await sleep(250);
  }
}

/** Runs `change` (which makes the release and resolves with the tool's own end and decision) under client load and a release-recording probe. */
async function underLoad(
  tool: string,
  release: "bad" | "good",
  version: string,
  previous: string,
  change: (t0: number) => Promise<{ doneMs: number; decisionMs?: number }>,
): Promise<Outcome> {
  const headers = { host: HOST };
  const url = `${GATEWAY_URL}/`;
  const load = startLoad(url, { ...LOAD, host: HOST });
  const probe = startProbe(url, 4, headers);
  await sleep(3000);
  const t0 = Date.now();
  let done: { doneMs: number; decisionMs?: number };
  let report: LoadReport;
  try {
    done = await change(t0);
    await sleep(3000);
  } finally {
    await probe.stop();
    report = await load.stop();
  }
  const after = probe.events.filter((e) => e.t >= t0);
  const answers = after.filter((e) => e.version === version).map((e) => e.t - t0);
  const old = after.filter((e) => e.version === previous).map((e) => e.t - t0);
  const probeFailed = after.filter((e) => e.color.startsWith("status 5") || e.color.startsWith("error")).length;
  return {
    tool,
    release,
    firstAnswerMs: answers.length ? Math.min(...answers) : undefined,
    decisionMs: done.decisionMs,
    lastAnswerMs: release === "bad" && answers.length ? Math.max(...answers) : undefined,
    fullyServedMs: release === "good" && old.length ? Math.max(...old) : undefined,
    doneMs: done.doneMs,
    failed: report.failed + probeFailed,
    requests: report.requests + after.length,
  };
}

async function flaggerSide(log: (m: string) => void): Promise<{ outcomes: Outcome[]; version: string }> {
  const flagger = await buildFlagger(log);
  await kubectl("apply", "--server-side", "--force-conflicts", "-f", flagger.crds);
  await kubectl("wait", "--for", "condition=established", "--timeout=60s", "crd/canaries.flagger.app", "crd/metrictemplates.flagger.app", "crd/alertproviders.flagger.app");
  await kubectl("create", "namespace", NS).catch(() => undefined);
  const logFile = path.join(stateDir(), "cluster", "logs", "flagger.log");
  let proc: ChildProcess | undefined;
  try {
    await apply(flaggerObjects());
    const out = fs.openSync(logFile, "w");
    proc = spawn(
      flagger.bin,
      ["-kubeconfig", kubeconfig(), "-namespace", NS, "-mesh-provider", "gatewayapi:v1", "-metrics-server", CLUSTER_PROMETHEUS_URL, "-port", String(FLAGGER_PORT), "-log-level", "info"],
      { stdio: ["ignore", out, out] },
    );
    fs.closeSync(out);
    let exited: string | undefined;
    proc.on("exit", (code, signal) => (exited = `flagger exited (${signal ?? code}); see ${logFile}`));
    flaggerAlive = () => {
      if (exited) throw new Error(exited);
    };
    log(`flagger running (log ${logFile}); waiting for the canary to initialize`);
    await watchPhases(["Initialized"], Date.now(), 300_000);
    const outcomes: Outcome[] = [];
    for (const [release, version, fault, previous] of [["bad", BAD, "5", STABLE], ["good", GOOD, "0", STABLE]] as const) {
      const o = await underLoad("flagger", release, version, previous, async (t0) => {
        const patch = { spec: { template: { spec: { containers: [{ name: TARGET, image: `${SAMPLE_IMAGE}:${version}`, env: [{ name: "RUNBOOK_VERSION", value: version }, { name: "FAULT_ERROR_RATE_PERCENT", value: fault }] }] } } } };
        await kubectl("-n", NS, "patch", "deployment", TARGET, "--type", "strategic", "-p", JSON.stringify(patch));
        const phases = await watchPhases(release === "bad" ? ["Failed"] : ["Succeeded"], t0, 600_000);
        log(`flagger ${release} ${version}: ${[...phases].map(([p, ms]) => `${p} ${secs(ms)}`).join(", ")}`);
        const end = phases.get(release === "bad" ? "Failed" : "Succeeded")!;
        return { doneMs: end, decisionMs: release === "bad" ? end : undefined };
      });
      outcomes.push(o);
    }
    return { outcomes, version: flagger.version };
  } finally {
    flaggerAlive = () => {};
    proc?.kill("SIGTERM");
    await kubectl("delete", "namespace", NS, "--wait=false").catch(() => undefined);
  }
}

async function oursSide(env: NodeJS.ProcessEnv, must: (r: RunResult, what: string) => RunResult, log: (m: string) => void): Promise<Outcome[]> {
  const stack = await ThrowawayStack.create("race", {}, { kind: "bench" });
  const namespace = stack.name;
  await kubectl("create", "namespace", namespace);
  try {
    // Our stack is served at the same hostname as Flagger's (one at a time), so the load is the same.
    const config = {
      ...kubernetesStackConfig(namespace, HOST),
      "blue.version": STABLE,
      "blue.replicas": "2",
      "green.replicas": "2",
      "rollout.analysis.maxErrorRatePercent": String(MAX_ERROR_RATE_PERCENT),
      // Judged every 10 s over the last 10 s, as Flagger's metric is.
      "rollout.analysis.intervalSeconds": "10",
      "rollout.analysis.windowSeconds": "10",
    };
    for (const [k, v] of Object.entries(config)) await stack.setConfig(k, v, { secret: SECRET_KEYS.has(k) });
    must(await stack.up(env), `first up (blue ${STABLE})`);
    const outcomes: Outcome[] = [];
    for (const [release, version, fault] of [["bad", BAD, "5"], ["good", GOOD, undefined]] as const) {
      if (fault) await stack.setConfig("green.env.FAULT_ERROR_RATE_PERCENT", fault);
      else await stack.removeConfig("green.env.FAULT_ERROR_RATE_PERCENT");
      // The bad release never serves (it stays on green at 0%), so both start from blue's.
      const o = await underLoad("deploy", release, version, STABLE, async (t0) => {
        const r = await stack.node("run-built.js", ["deploy", "--env", stack.name, "--version", version, "--steps", [...STEPS, 100].join(","), "--pause", INTERVAL, "--bake", "0s", "--yes", "--json"], env, { timeoutMs: 600_000 });
        const doneMs = Date.now() - t0;
        if ((r.code === 0) !== (release === "good")) throw new Error(`deploy of the ${release} release exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
        const events = r.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { type: string; at: string });
        const decided = events.find((e) => e.type === "failed" || e.type === "aborted" || e.type === "rolled-back");
        log(`deploy ${release} ${version}: exit ${r.code} after ${secs(doneMs)}${decided ? `, ${decided.type} at ${secs(Date.parse(decided.at) - t0)}` : ""}`);
        return { doneMs, decisionMs: decided ? Date.parse(decided.at) - t0 : undefined };
      });
      outcomes.push(o);
    }
    return outcomes;
  } finally {
    await stack.cleanup();
    await kubectl("delete", "namespace", namespace, "--wait=false").catch(() => undefined);
  }
}

const opt = (ms: number | undefined, none: string) => (ms === undefined ? none : secs(ms));

export async function flaggerSection(
  env: NodeJS.ProcessEnv,
  log: (msg: string) => void,
  must: (r: RunResult, what: string) => RunResult,
): Promise<{ figures: FlaggerFigure[]; raw: unknown }> {
  await cluster(["up"], { progress: true });
  await cluster(["release", STABLE, BAD, GOOD]);
  const ours = await oursSide(env, must, log);
  const theirs = await flaggerSide(log);
  const [oBad, oGood] = ours;
  const [fBad, fGood] = theirs.outcomes;
  const settings = `steps ${STEPS.join(", ")}, 100; error rate > ${MAX_ERROR_RATE_PERCENT}% fails; one failed check rolls back; checks every ${INTERVAL}; hey ${LOAD.concurrency} x ${LOAD.perWorkerRps}/s and a probe through Traefik`;
  const row = (figure: string, a: string, b: string, notes: string): FlaggerFigure => ({ figure, value: `deploy: ${a}; Flagger: ${b}`, runs: "1 run each", notes });
  const sinceTraffic = (o: Outcome, at: number | undefined) => (o.firstAnswerMs === undefined || at === undefined ? undefined : at - o.firstAnswerMs);
  return {
    raw: { flaggerVersion: theirs.version, settings, ours, flagger: theirs.outcomes },
    figures: [
      row(
        "bad release (5% errors): canary taking client traffic to the decision",
        oBad.firstAnswerMs === undefined ? `never took traffic (gate failed ${opt(oBad.decisionMs ?? oBad.doneMs, "?")} after the start)` : opt(sinceTraffic(oBad, oBad.decisionMs), "no decision"),
        opt(sinceTraffic(fBad, fBad.decisionMs), "no decision"),
        `Flagger ${theirs.version}: ${settings}`,
      ),
      row(
        "bad release: canary's first to last answer to clients (traffic fully back on the stable release)",
        oBad.firstAnswerMs === undefined ? "0 answers" : opt((oBad.lastAnswerMs ?? 0) - oBad.firstAnswerMs, "?"),
        fBad.firstAnswerMs === undefined ? "0 answers" : opt((fBad.lastAnswerMs ?? 0) - fBad.firstAnswerMs, "?"),
        `from the release's start: ours done ${secs(oBad.doneMs)}, Flagger Failed ${secs(fBad.doneMs)}`,
      ),
      row("bad release: failed requests seen by clients", `${oBad.failed} of ${oBad.requests}`, `${fBad.failed} of ${fBad.requests}`, "hey's non-2xx and errors plus the probe's"),
      row(
        "good release: start to 100% (the old release's last answer to a client)",
        opt(oGood.fullyServedMs, "?"),
        opt(fGood.fullyServedMs, "?"),
        `tool's own end: deploy exit ${secs(oGood.doneMs)} (bake 0s), Flagger Succeeded ${secs(fGood.doneMs)}; failed requests: deploy ${oGood.failed}, Flagger ${fGood.failed}`,
      ),
    ],
  };
}
