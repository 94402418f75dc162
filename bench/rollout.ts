// The benchmark's rollout section: `npm run rollback` (the emergency command, scripts/rollback.ts)
// under load on the local target. Each run promotes green to 10% (untimed, an ordinary gated `up`),
// then starts hey and the probe, runs `npm run rollback -- --env <stack>` and measures, from the
// command's start:
//
//   to 100% stable   the last probe request answered by green (every later one is blue)
//   to converged     the command's exit (the converging `up` and the health check done)
//
// and counts failed requests (hey's non-2xx and errors, the probe's). The command's own figure
// ("router switched N ms after the command started") is kept too: it excludes the spawn of node.
import { startLoad } from "../scripts/load";
import { RunResult, ThrowawayStack } from "../test/integration/harness";
import { startProbe } from "../test/integration/probe";
import { median, range, secs, sleep } from "./stats";

export interface RolloutFigure {
  figure: string;
  value: string;
  runs: string;
  notes: string;
  samples?: number[];
}

// Ports of this section (the other sections and the integration tests use others).
const ROUTER_PORT = 19250;
const BASE_PORT = 23200;
const URL = `http://127.0.0.1:${ROUTER_PORT}/`;
const LOAD = { concurrency: 8, perWorkerRps: 50, maxSeconds: 600 };
const ms = (x: number) => `${Math.round(x)} ms`;
const msRange = (xs: number[]) => `${ms(Math.min(...xs))}-${ms(Math.max(...xs))}`;

export async function rolloutSection(
  runs: number,
  env: NodeJS.ProcessEnv,
  log: (msg: string) => void,
  must: (r: RunResult, what: string) => RunResult,
): Promise<{ figures: RolloutFigure[]; raw: unknown }> {
  const stack = await ThrowawayStack.create("rb", {
    "blue.version": "v1.0.0",
    "blue.replicas": 1,
    "green.replicas": 1,
    "local.routerPort": ROUTER_PORT,
    "local.basePort": BASE_PORT,
  }, { kind: "bench" });
  const stableMs: number[] = [];
  const convergedMs: number[] = [];
  const reportedMs: number[] = [];
  const failed: number[] = [];
  const requests: number[] = [];
  try {
    must(await stack.up(env), "first up (blue v1.0.0)");
    await stack.setConfig("green.version", "v2.0.0");
    must(await stack.up(env), "deploying green v2.0.0 at 0%");
    for (let i = 0; i < runs; i++) {
      await stack.setConfig("traffic.green", 10);
      must(await stack.up(env), "promotion to 10% (untimed)");
      const load = startLoad(URL, LOAD);
      const probe = startProbe(URL, 4, 2);
      await sleep(1000);
      const t0 = Date.now();
      const r = await stack.node("run-built.js", ["rollback", "--env", stack.name], env);
      const tDone = Date.now();
      await sleep(1000);
      const events = await probe.stop();
      const report = await load.stop();
      must(r, "npm run rollback");
      if (!events.some((e) => e.color === "green" && e.t < t0)) throw new Error("no request reached green before the rollback: nothing was measured");
      const lastGreen = Math.max(t0, ...events.filter((e) => e.t >= t0 && e.color !== "blue").map((e) => e.t));
      const probeFailed = events.filter((e) => e.status !== 200).length;
      stableMs.push(lastGreen - t0);
      convergedMs.push(tDone - t0);
      const reported = /router switched (\d+) ms after the command started/.exec(r.stdout);
      if (reported) reportedMs.push(Number(reported[1]));
      else log(`warning: run ${i + 1}: the command did not switch the router itself: ${r.stdout.trim()} ${r.stderr.trim()}`);
      failed.push(report.failed + probeFailed);
      requests.push(report.requests + events.length);
      log(`rollback command run ${i + 1}/${runs}: 100% stable after ${ms(stableMs[i])} (command's own figure ${reported ? `${reported[1]} ms` : "none"}), converged after ${secs(convergedMs[i])}; failed ${report.failed} of ${report.requests} (hey) + ${probeFailed} of ${events.length} (probe)`);
    }
  } finally {
    await stack.cleanup();
  }
  const load = `hey ${LOAD.concurrency} workers × ${LOAD.perWorkerRps}/s and the probe (4 new connections at a time)`;
  const figures: RolloutFigure[] = [
    { figure: "`npm run rollback` under load: command start to 100% of requests on the stable color", value: ms(median(stableMs)), runs: `median of ${runs}`, notes: `range ${msRange(stableMs)}; from spawning \`node scripts/run-built.js rollback\` to the last request green answered (10% before); ${load}`, samples: stableMs },
    { figure: "`npm run rollback`: the command's own time to the router switched (from its main)", value: reportedMs.length ? ms(median(reportedMs)) : "n/a", runs: `median of ${reportedMs.length}`, notes: reportedMs.length ? `range ${msRange(reportedMs)}; excludes node's start and run-built.js; the rest of the figure above is node's start and the last in-flight requests` : "the fast path was not taken", samples: reportedMs },
    { figure: "`npm run rollback` under load: command start to converged stack (up + health check done)", value: secs(median(convergedMs)), runs: `median of ${runs}`, notes: `range ${range(convergedMs)}`, samples: convergedMs },
    { figure: "`npm run rollback` under load: failed requests", value: `${failed.reduce((a, b) => a + b, 0)} of ${requests.reduce((a, b) => a + b, 0)}`, runs: `${runs} rollbacks`, notes: load, samples: failed },
  ];
  return { figures, raw: { stableMs, convergedMs, reportedMs, failed, requests } };
}
