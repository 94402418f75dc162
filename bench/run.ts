// `npm run bench`: how fast the runbook is, on this machine, with the real engine and services.
// Every figure is the median of several runs, and every ratio is measured side by side in the
// same run (the two commands interleaved). Prints a Markdown table (for the README) and writes
// bench/results/latest.json with every sample.
//
//   floor      a no-op `up` of a one-resource stack before and after the engine floor's cuts, and
//              where it spends its time (bench/floor.ts)
//   rollback   config edit + `pulumi up --yes` until the router sends 100% to the stable color,
//              against a no-op `pulumi up` of a one-resource stack (the engine's floor)
//   shift      10 traffic shifts under a steady load: requests/s sustained, failed requests,
//              and the router's (nginx master + workers) peak resident memory
//   gate       time to fail a 5%-error release and to pass a good one; false failures of a good
//              release over repeated gate runs
//   scale      `pulumi preview` of 1 and of 25 blue/green services, and the peak resident memory
//              of the engine and the program during the 25-service preview
//   rollout    `npm run rollback` under load: command start to 100% of requests on the stable
//              color, to the converged stack, failed requests (bench/rollout.ts)
//   kubernetes the same flow on the project's own cluster (bench/kubernetes.ts)
//   flagger    Flagger and `npm run deploy` on that cluster with the same bad and good releases
//              (bench/flagger.ts; builds Flagger from its Go module once)
import * as fs from "fs";
import * as path from "path";
import { CHECK_NAMES, GateConfig, gateConfigSchema } from "../components/gates/gate-config";
import { prometheusMetrics } from "../components/gates/prometheus-spec";
import { allPassed, runChecks } from "../components/gates/run-checks";
import * as paths from "../components/targets/local/paths";
import { Supervisor } from "../components/targets/local/supervisor";
import { routerProgram } from "../components/targets/local/names";
import { parseFlags, runMain } from "../scripts/cli-args";
import { startLoad } from "../scripts/load";
import { flaggerSection } from "./flagger";
import { floorSection } from "./floor";
import { kubernetesSection } from "./kubernetes";
import { rolloutSection } from "./rollout";
import { describeMachine, machine } from "./machine";
import { startProbe } from "./probe";
import { median, range, secs, sleep } from "./stats";
import { MemoryReport, engineProcessKind, sampleMemory } from "./proc";
import { ROOT, RunResult, ThrowawayStack } from "../test/integration/harness";
import { normalLatency, simulateRates } from "../test/unit/helpers/gate-simulation";

const SECTIONS = ["floor", "rollback", "rollout", "shift", "gate", "scale", "kubernetes", "flagger"] as const;
type Section = (typeof SECTIONS)[number];

// Ports of the benchmark (the integration tests use others): the stack's router and instances.
const ROUTER_PORT = 19200;
const BASE_PORT = 22400;
const URL = `http://127.0.0.1:${ROUTER_PORT}/`;
/** The load during the 10 shifts: 20 workers at 50 requests/s each (1000/s offered). */
const SHIFT_LOAD = { concurrency: 20, perWorkerRps: 50, maxSeconds: 1200 };
/** Promotions 10 -> 25 -> 50 -> 75 -> 100, rollbacks to 50 and 0, promotions 10 -> 25 -> 50. */
const SHIFTS = [10, 25, 50, 75, 100, 50, 0, 10, 25, 50];
const SCALE_SERVICES = [1, 25];
// The benchmark runs any day: the demo's policy config opens the deployment window every day.
const POLICY_ENV = { RUNBOOK_POLICY_CONFIG: path.join(ROOT, "policies", "config", "demo.json") };

const USAGE = "npm run bench -- [--runs N] [--gate-runs N] [--gate-repeats N] [--only floor,rollback,rollout,shift,gate,scale,kubernetes,flagger]";

interface Figure {
  section: Section;
  figure: string;
  value: string;
  runs: string;
  notes: string;
  /** Raw numbers behind the value. */
  samples?: number[];
}

const figures: Figure[] = [];
const raw: Record<string, unknown> = {};

function log(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

// `npm run pulumi` recompiles the TypeScript when a source is newer than the last build. A
// rebuild inside a timed command would be measured as engine time, so each timed command is
// preceded by that same check, and a rebuild that still happens inside one (a source edited
// meanwhile) is counted and shown in the table.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const engineEnv = require(path.join(ROOT, "scripts", "engine-env.js")) as { ensureBuilt(root: string): void };
const stampFile = path.join(ROOT, "bin", ".build-stamp");
let rebuilds = 0;

function prebuild(): void {
  engineEnv.ensureBuilt(ROOT);
}

function rebuiltDuring(since: number, what: string): void {
  if (fs.existsSync(stampFile) && fs.statSync(stampFile).mtimeMs > since) {
    rebuilds++;
    log(`warning: the build stamp changed during ${what} (a source changed and was rebuilt); that sample may include the build`);
  }
}

function must(r: RunResult, what: string): RunResult {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-2000)}`);
  return r;
}

// --- rollback ------------------------------------------------------------------------------------

async function setTraffic(stack: ThrowawayStack, green: number): Promise<RunResult> {
  await stack.setConfig("traffic.green", green);
  return must(await stack.up(POLICY_ENV), `pulumi up (traffic.green ${green})`);
}

async function rollbackSection(stack: ThrowawayStack, runs: number): Promise<void> {
  const noop = await ThrowawayStack.create("noop", {}, { kind: "bench", projectDir: path.join(ROOT, "bench", "noop-program") });
  try {
    must(await noop.up(POLICY_ENV), "first up of the one-resource stack");
    const rollbackMs: number[] = [];
    const commandMs: number[] = [];
    const noopMs: number[] = [];
    const rollbackUpMs: number[] = [];
    const sameNoopMs: number[] = [];
    const probeRequests: number[] = [];
    const probeFailures: Record<string, number> = {};
    for (let i = 0; i < runs; i++) {
      // Untimed: a promotion to 10% (gated), so there is something to roll back.
      await setTraffic(stack, 10);
      const probe = startProbe(URL);
      await sleep(1000);
      prebuild();
      const t0 = Date.now();
      await stack.setConfig("traffic.green", 0);
      const up = must(await stack.up(POLICY_ENV), "rollback");
      rebuiltDuring(t0, "a rollback");
      const tUp = Date.now();
      await sleep(1500); // watch a while after the command returned: every request must be blue
      await probe.stop();
      const before = probe.events.filter((e) => e.t < t0);
      const after = probe.events.filter((e) => e.t >= t0);
      const lastOther = Math.max(t0, ...after.filter((e) => e.color !== "blue").map((e) => e.t));
      const failed = probe.events.filter((e) => e.color !== "blue" && e.color !== "green");
      probeRequests.push(probe.events.length);
      for (const f of failed) probeFailures[f.color] = (probeFailures[f.color] ?? 0) + 1;
      if (!before.some((e) => e.color === "green")) throw new Error("no request reached green before the rollback: nothing was measured");
      if (lastOther > tUp) log(`warning: a request reached ${after.find((e) => e.t === lastOther)?.color} after the rollback command returned`);
      if (failed.length) log(`warning: ${failed.length} probe request(s) failed during rollback run ${i + 1}: ${failed.map((f) => f.color).join(", ")}`);
      rollbackMs.push(lastOther - t0);
      commandMs.push(tUp - t0);
      // Side by side: the engine's floor right after, and a no-op `up` of this same stack (nothing
      // edited since the rollback): what the rollback's `up` costs beyond the stack's own floor.
      prebuild();
      const tNoop = Date.now();
      noopMs.push(must(await noop.up(POLICY_ENV), "no-op up").ms);
      rebuiltDuring(tNoop, "a no-op up");
      rollbackUpMs.push(up.ms);
      const tSame = Date.now();
      sameNoopMs.push(must(await stack.up(POLICY_ENV), "no-op up of the same stack").ms);
      rebuiltDuring(tSame, "a no-op up of the same stack");
      log(`rollback run ${i + 1}/${runs}: 100% blue after ${secs(rollbackMs[i])}, command ${secs(commandMs[i])} (up ${secs(up.ms)}); no-op up ${secs(noopMs[i])}; same stack no-op up ${secs(sameNoopMs[i])}`);
    }
    raw.rollback = { rollbackMs, commandMs, noopMs, rollbackUpMs, sameNoopMs, probeRequests, probeFailures };
    const failedProbes = Object.values(probeFailures).reduce((a, b) => a + b, 0);
    const probeNote = `probe (Node.js keep-alive client, 4 at a time): ${probeRequests.reduce((a, b) => a + b, 0)} requests, ${failedProbes} failed${failedProbes ? ` (${Object.entries(probeFailures).map(([k, v]) => `${v} ${k}`).join(", ")}: a request sent on a keep-alive connection the reload closed; clients that retry, like hey, see none)` : ""}`;
    const r = median(rollbackMs);
    const n = median(noopMs);
    figures.push(
      { section: "rollback", figure: "rollback: config edit + `up --yes` until 100% of requests reach the stable color", value: secs(r), runs: `median of ${runs}`, notes: `range ${range(rollbackMs)}; the command itself returns after ${secs(median(commandMs))}; ${probeNote}`, samples: rollbackMs },
      { section: "rollback", figure: "no-op `up --yes`, one-resource stack (the engine's floor)", value: secs(n), runs: `median of ${runs}`, notes: `range ${range(noopMs)}; one dynamic resource, same wrapper, engine and policy pack, run right after each rollback`, samples: noopMs },
      { section: "rollback", figure: "rollback / engine floor", value: `${(r / n).toFixed(2)}×`, runs: `${runs} pairs`, notes: "measured side by side (interleaved) in this run", samples: rollbackMs.map((x, i) => x / noopMs[i]) },
      { section: "rollback", figure: "rollback `up --yes` / no-op `up --yes` of the same stack", value: `${median(rollbackUpMs.map((x, i) => x / sameNoopMs[i])).toFixed(2)}×`, runs: `${runs} pairs`, notes: `median of the pair ratios; rollback up ${secs(median(rollbackUpMs))}, no-op up ${secs(median(sameNoopMs))} (${range(sameNoopMs)}), each pair run back to back`, samples: rollbackUpMs.map((x, i) => x / sameNoopMs[i]) },
    );
  } finally {
    await noop.cleanup();
  }
}

// --- shifts under load ---------------------------------------------------------------------------

async function shiftSection(stack: ThrowawayStack): Promise<void> {
  const sup = new Supervisor();
  const router = routerProgram(stack.name, "app");
  const nginxMaster = async () => (await sup.status(router)).pid;
  let master = await nginxMaster();
  const refresh = setInterval(() => void nginxMaster().then((p) => (master = p ?? master), () => undefined), 2000);
  const memory = sampleMemory(() => (master ? [master] : []), () => "nginx", 250);
  const load = startLoad(URL, SHIFT_LOAD);
  const upMs: number[] = [];
  let completed = 0;
  const problems: string[] = [];
  const started = Date.now();
  try {
    await sleep(2000);
    for (const pct of SHIFTS) {
      await stack.setConfig("traffic.green", pct);
      prebuild();
      const t0 = Date.now();
      const r = await stack.up(POLICY_ENV);
      rebuiltDuring(t0, `the shift to ${pct}%`);
      upMs.push(r.ms);
      if (r.code === 0) completed++;
      else {
        const why = [/error: (.*)/.exec(r.stdout)?.[1] ?? r.stderr.trim(), ...(r.stdout.match(/^\s*✗ .*$/gm) ?? []).map((l) => l.trim())];
        problems.push(`shift to ${pct}% failed: ${[...new Set(why)].join(" / ").slice(0, 600)}`);
      }
      log(`shift to green ${pct}%: ${r.code === 0 ? "ok" : "FAILED"} in ${secs(r.ms)}`);
    }
    await sleep(2000);
  } finally {
    clearInterval(refresh);
  }
  const report = await load.stop();
  const mem = memory.stop();
  const seconds = (Date.now() - started) / 1000;
  raw.shift = { upMs, problems, load: { ...report, raw: undefined }, seconds, nginxMemory: mem };
  for (const p of problems) log(p);
  figures.push(
    { section: "shift", figure: "shift under load: requests/s sustained", value: `${report.requestsPerSecond.toFixed(0)} req/s`, runs: `${SHIFTS.length} shifts, ${completed} completed`, notes: `${problems.length ? `${problems.join("; ")}; ` : ""}offered ${SHIFT_LOAD.concurrency * SHIFT_LOAD.perWorkerRps} req/s (hey, ${SHIFT_LOAD.concurrency} workers × ${SHIFT_LOAD.perWorkerRps}/s) for ${seconds.toFixed(0)} s; shifts ${SHIFTS.join(" → ")}%; median up ${secs(median(upMs))}`, samples: [report.requestsPerSecond] },
    { section: "shift", figure: "shift under load: failed requests", value: `${report.failed} of ${report.requests}`, runs: `${SHIFTS.length} shifts`, notes: `non-2xx ${report.failed - report.errors}, no response ${report.errors}`, samples: [report.failed] },
    { section: "shift", figure: "router (nginx master + workers) peak resident memory under the shift load", value: `${mem.peakSumMiB.toFixed(1)} MiB`, runs: `${mem.samples} samples`, notes: `largest sum of VmRSS over nginx's master and workers (old workers still finishing after a reload included; pages shared between them counted in each), sampled every 250 ms; ${mem.processes} nginx processes seen across ${SHIFTS.length} reloads`, samples: [mem.peakSumMiB] },
  );
}

// --- gates ---------------------------------------------------------------------------------------

async function gateSection(stack: ThrowawayStack, runs: number, repeats: number): Promise<void> {
  await setTraffic(stack, 0);
  const failMs: number[] = [];
  const passMs: number[] = [];
  const cfg: GateConfig = { ...gateConfigSchema.parse({}), checks: [...CHECK_NAMES] };
  for (let i = 0; i < runs; i++) {
    // A release answering 5% of requests with errors, promoted to 10%: the gate must stop it.
    await stack.setConfig("green.version", `v2.1.${i}`);
    await stack.setConfig("green.env.FAULT_ERROR_RATE_PERCENT", 5);
    await stack.setConfig("traffic.green", 10);
    const bad = await stack.up(POLICY_ENV);
    const failed = /health gate for green v2\.1\.\d+ failed after ([\d.]+)s/.exec(bad.stdout);
    if (bad.code === 0 || !failed) throw new Error(`the gate did not stop a release with 5% errors:\n${bad.stdout.slice(-3000)}`);
    failMs.push(Number(failed[1]) * 1000);
    // The good release, promoted to 10%: the gate must let it through.
    await stack.removeConfig("green.env");
    await stack.setConfig("green.version", "v2.0.0");
    const good = must(await stack.up(POLICY_ENV), "promotion of the good release");
    const passed = /passed in ([\d.]+)s/.exec(good.stdout);
    if (!passed) throw new Error(`no gate result in:\n${good.stdout.slice(-3000)}`);
    passMs.push(Number(passed[1]) * 1000);
    log(`gate run ${i + 1}/${runs}: 5%-error release failed after ${secs(failMs[i])} (up ${secs(bad.ms)}); good release passed in ${secs(passMs[i])} (up ${secs(good.ms)})`);
    await setTraffic(stack, 0);
  }

  // False failures: the gate's own checks (components/gates/run-checks.ts runChecks) against the
  // deployed good release, again and again, each a single attempt (retries 0).
  const outputs = await stack.outputs();
  const single = { ...cfg, retries: 0 };
  const verdicts: boolean[] = [];
  const falseFailures: string[] = [];
  for (let i = 0; i < repeats; i++) {
    const results = await runChecks({
      stack: stack.name,
      service: "app",
      routerUrl: String(outputs.url),
      color: "green",
      version: "v2.0.0",
      baseline: { color: "blue", version: "v1.0.0" },
      databaseUrl: paths.postgresAdminUrl(),
      redisUrl: paths.redisUrl(),
      metrics: prometheusMetrics(paths.prometheusUrl()),
      config: single,
    });
    const ok = allPassed(results);
    verdicts.push(ok);
    if (!ok) falseFailures.push(results.filter((r) => r.status !== "pass").map((r) => `${r.check}: ${r.summary}`).join("; "));
    log(`gate repeat ${i + 1}/${repeats}: ${ok ? "pass" : `FAIL (${falseFailures[falseFailures.length - 1]})`}`);
  }
  // The method's own rates, simulated (the same model as the unit tests): 20,000 windows each.
  const simulated = [0.0005, 0.001, 0.02, 0.05].map((p) => ({ p, r: simulateRates(14, 20_000, { canary: { errorRate: p, latency: normalLatency }, checks: ["error-rate"] }) }));
  raw.gate = { failMs, passMs, verdicts, falseFailures, simulated };
  const rate = `${cfg.analysis.syntheticRps} req/s to each color for at most ${cfg.analysis.windowSeconds} s (sequential looks)`;
  figures.push(
    { section: "gate", figure: "gate: time to fail a release with 5% errors", value: secs(median(failMs)), runs: `median of ${runs}`, notes: `range ${range(failMs)}; default gate: ${rate}; a sequential failure is final (the ${cfg.retries} retries are for inconclusive windows)`, samples: failMs },
    { section: "gate", figure: "gate: time to pass a good release", value: secs(median(passMs)), runs: `median of ${runs}`, notes: `range ${range(passMs)}; default gate: ${rate}`, samples: passMs },
    ...simulated.map(({ p, r }) => ({
      section: "gate" as const,
      figure: `gate, simulated: a canary erring ${(p * 100).toFixed(2)}% of requests`,
      value: `${(r.fail * 100).toFixed(1)}% failed`,
      runs: `${r.windows.toLocaleString("en-US")} simulated windows`,
      notes: `${(r.sequentialFail * 100).toFixed(1)}% by a sequential (final) decision; median ${Number.isNaN(r.medianFailSeconds) ? "-" : `${r.medianFailSeconds} s`} of traffic to a fail, ${Number.isNaN(r.medianPassSeconds) ? "-" : `${r.medianPassSeconds} s`} to a pass; 30 req/s, looks 1 s behind (test/unit/helpers/gate-simulation.ts)`,
    })),
    { section: "gate", figure: "gate: false failures of a good release", value: `${falseFailures.length} of ${repeats}`, runs: `${repeats} gate runs`, notes: `runChecks (the gate's checks) called directly against the deployed release, single attempts (retries 0), ${rate}${falseFailures.length ? `; failures: ${falseFailures.join(" | ")}` : ""}`, samples: verdicts.map((v) => (v ? 0 : 1)) },
  );
}

// --- scale ---------------------------------------------------------------------------------------

async function scaleSection(runs: number): Promise<void> {
  const dir = path.join(ROOT, "bench", "scale-program");
  const stacks: Record<number, ThrowawayStack> = {};
  try {
    for (const n of SCALE_SERVICES) stacks[n] = await ThrowawayStack.create(`scale${n}`, { services: n }, { kind: "bench", projectDir: dir });
    const times: Record<number, number[]> = Object.fromEntries(SCALE_SERVICES.map((n) => [n, []]));
    const memory: MemoryReport[] = [];
    let resources: Record<number, number> = {};
    for (let i = 0; i < runs; i++) {
      for (const n of SCALE_SERVICES) {
        let sampler: ReturnType<typeof sampleMemory> | undefined;
        prebuild();
        const t0 = Date.now();
        const r = must(
          await stacks[n].preview(POLICY_ENV, {
            onStart: (pid) => {
              if (n === Math.max(...SCALE_SERVICES)) sampler = sampleMemory(() => [pid], engineProcessKind, 100);
            },
          }),
          `preview of ${n} services`,
        );
        if (sampler) memory.push(sampler.stop());
        rebuiltDuring(t0, `a preview of ${n} services`);
        times[n].push(r.ms);
        resources = { ...resources, [n]: Number(/\+ (\d+) to create/.exec(r.stdout)?.[1] ?? 0) };
        log(`preview of ${n} service(s) (${resources[n]} resources), run ${i + 1}/${runs}: ${secs(r.ms)}`);
      }
    }
    const big = Math.max(...SCALE_SERVICES);
    const small = Math.min(...SCALE_SERVICES);
    const peak = memory.reduce((a, b) => (b.peakSumMiB > a.peakSumMiB ? b : a));
    raw.scale = { times, resources, memory };
    const kinds = Object.entries(peak.byKind)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v.toFixed(0)}`)
      .join(", ");
    figures.push(
      { section: "scale", figure: `\`pulumi preview\`, ${small} service (${resources[small]} resources)`, value: secs(median(times[small])), runs: `median of ${runs}`, notes: `range ${range(times[small])}; a fresh stack (every resource a create), policy pack applied`, samples: times[small] },
      { section: "scale", figure: `\`pulumi preview\`, ${big} services, each a blue/green pair (${resources[big]} resources)`, value: secs(median(times[big])), runs: `median of ${runs}`, notes: `range ${range(times[big])}; bench/scale-program: ${big} BlueGreenServices on the local target`, samples: times[big] },
      { section: "scale", figure: `preview ${big} services / ${small} service`, value: `${(median(times[big]) / median(times[small])).toFixed(2)}×`, runs: `${runs} pairs`, notes: "measured side by side (interleaved) in this run", samples: times[big].map((x, i) => x / times[small][i]) },
      { section: "scale", figure: `peak resident memory, engine + program (+ plugins), ${big}-service preview`, value: `${peak.peakSumMiB.toFixed(0)} MiB`, runs: `max of ${memory.length} previews`, notes: `sum of VmRSS every 100 ms over the wrapper's process tree; per-process peaks (MiB): ${kinds}`, samples: memory.map((m) => m.peakSumMiB) },
    );
  } finally {
    for (const s of Object.values(stacks)) await s.cleanup();
  }
}

// --- main ----------------------------------------------------------------------------------------

function printTable(header: string): string {
  const lines = [header, "", "| figure | value | runs | notes |", "| --- | --- | --- | --- |"];
  for (const f of figures) lines.push(`| ${f.figure} | ${f.value} | ${f.runs} | ${f.notes.replace(/\|/g, "/")} |`);
  return lines.join("\n");
}

async function main(): Promise<number> {
  const flags = parseFlags(
    process.argv.slice(2),
    {
      runs: { type: "string", description: "runs per timed figure" },
      "gate-runs": { type: "string", description: "runs of the failing and the passing gate" },
      "gate-repeats": { type: "string", description: "gate runs for the false-failure count" },
      only: { type: "string", description: "sections" },
      help: { type: "boolean", description: "usage" },
    },
    USAGE,
  );
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  const count = (name: string, value: string | undefined, fallback: number, min: number) => {
    const n = value === undefined ? fallback : Number(value);
    if (!Number.isInteger(n) || n < min || n > 100) throw new Error(`--${name} must be an integer from ${min} to 100 (got ${JSON.stringify(value)})\nusage: ${USAGE}`);
    return n;
  };
  const runs = count("runs", flags.runs, 5, 1);
  const gateRuns = count("gate-runs", flags["gate-runs"], 3, 1);
  const gateRepeats = count("gate-repeats", flags["gate-repeats"], 20, 1);
  const only = (flags.only ?? SECTIONS.join(",")).split(",").map((s) => s.trim());
  for (const s of only) if (!SECTIONS.includes(s as Section)) throw new Error(`--only ${JSON.stringify(s)} is not a section (allowed: ${SECTIONS.join(", ")})\nusage: ${USAGE}`);
  const want = (s: Section) => only.includes(s);

  const m = machine(ROOT);
  const startedAt = new Date();
  log(`machine: ${describeMachine(m)}`);
  if (want("floor")) {
    const f = await floorSection(runs, POLICY_ENV, log, must);
    raw.floor = f.raw;
    figures.push(...f.figures.map((x) => ({ ...x, section: "floor" as const })));
  }
  if (want("scale")) await scaleSection(runs);
  if (want("rollback") || want("shift") || want("gate")) {
    const stack = await ThrowawayStack.create("app", {
      "blue.version": "v1.0.0",
      "blue.replicas": 2,
      "green.replicas": 2,
      "local.routerPort": ROUTER_PORT,
      "local.basePort": BASE_PORT,
    }, { kind: "bench" });
    try {
      must(await stack.up(POLICY_ENV), "first up (blue v1.0.0)");
      await stack.setConfig("green.version", "v2.0.0");
      must(await stack.up(POLICY_ENV), "deploying green v2.0.0 at 0%");
      if (want("rollback")) await rollbackSection(stack, runs);
      if (want("shift")) await shiftSection(stack);
      if (want("gate")) await gateSection(stack, gateRuns, gateRepeats);
    } finally {
      await stack.cleanup();
    }
  }
  if (want("rollout")) {
    const r = await rolloutSection(runs, POLICY_ENV, log, must);
    raw.rollout = r.raw;
    figures.push(...r.figures.map((f) => ({ ...f, section: "rollout" as const })));
  }
  if (want("kubernetes")) {
    const k = await kubernetesSection(runs, POLICY_ENV, log, must);
    raw.kubernetes = k.raw;
    figures.push(...k.figures.map((f) => ({ ...f, section: "kubernetes" as const })));
  }
  if (want("flagger")) {
    const f = await flaggerSection(POLICY_ENV, log, must);
    raw.flagger = f.raw;
    figures.push(...f.figures.map((x) => ({ ...x, section: "flagger" as const })));
  }
  const order = (f: Figure) => SECTIONS.indexOf(f.section);
  figures.sort((a, b) => order(a) - order(b));
  const finishedAt = new Date();
  const header =
    `Benchmarks (\`npm run bench\`, ${startedAt.toISOString().slice(0, 16)}Z, ${((finishedAt.getTime() - startedAt.getTime()) / 60000).toFixed(1)} min) on ${describeMachine(m)}.` +
    (rebuilds ? ` During ${rebuilds} timed sample(s) the TypeScript was rebuilt (a source changed during the run); they may include the build.` : "");
  const table = printTable(header);
  console.log(table);
  const dir = path.join(ROOT, "bench", "results");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, "latest.json"),
    JSON.stringify({ machine: m, startedAt, finishedAt, settings: { runs, gateRuns, gateRepeats, sections: only, shifts: SHIFTS, shiftLoad: SHIFT_LOAD }, figures, table, raw }, null, 2),
  );
  log(`wrote ${path.relative(ROOT, path.join(dir, "latest.json"))}`);
  return 0;
}

runMain(main);
