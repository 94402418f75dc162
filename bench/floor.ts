// The engine's floor, explained and cut (`npm run bench -- --only floor`): a no-op `up` of the
// one-resource stack (bench/noop-program) before the cuts and after, interleaved in one run, and
// where each spends its time (bench/floor-phases.ts, from the engine's own log).
//   before  the resource declared with `pulumi.dynamic.Resource` (the SDK serializes its provider,
//           parsing it with TypeScript) and Node.js processes started as the SDK starts them
//           (RUNBOOK_NODE_PRELOAD=off);
//   after   the resource declared as this project declares them (LazyDynamicResource) and the
//           engine's Node.js processes started with scripts/node-preload.js.
// Both with the same engine, wrapper and policy pack; `up --yes` (with its preview) as before, and
// `up --yes --skip-preview` as the rollout commands and most tests run it.
import * as path from "path";
import { RunResult, ThrowawayStack } from "../test/integration/harness";
import { Phase, floorPhases } from "./floor-phases";
import { median, range, secs } from "./stats";
import type { RolloutFigure } from "./rollout";

const TRACE = ["-v=9", "--logtostderr", "--logflow"];
const UP = ["up", "--yes", "--non-interactive"];
const UP_SKIP = ["up", "--yes", "--skip-preview", "--non-interactive"];
const BEFORE_ENV = { RUNBOOK_NODE_PRELOAD: "off" };

export async function floorSection(
  runs: number,
  env: NodeJS.ProcessEnv,
  log: (msg: string) => void,
  must: (r: RunResult, what: string) => RunResult,
): Promise<{ figures: RolloutFigure[]; raw: unknown }> {
  const projectDir = path.join(__dirname, "..", "..", "bench", "noop-program");
  const before = await ThrowawayStack.create("floor-before", { "bench-noop:style": "sdk" }, { kind: "bench", projectDir });
  const after = await ThrowawayStack.create("floor-after", { "bench-noop:style": "project" }, { kind: "bench", projectDir });
  // `create` sets config with --path under the project's namespace; this program reads its own.
  await before.must(["config", "set", "bench-noop:style", "sdk"]);
  await after.must(["config", "set", "bench-noop:style", "project"]);
  try {
    must(await before.run(UP, { ...env, ...BEFORE_ENV }), "first up of the 'before' stack");
    must(await after.run(UP, env), "first up of the 'after' stack");
    const samples = { before: [] as number[], after: [] as number[], afterSkip: [] as number[], beforeSkip: [] as number[] };
    for (let i = 0; i < runs; i++) {
      samples.before.push(noop(must(await before.run(UP, { ...env, ...BEFORE_ENV }), "no-op up (before)")).ms);
      samples.after.push(noop(must(await after.run(UP, env), "no-op up (after)")).ms);
      samples.beforeSkip.push(noop(must(await before.run(UP_SKIP, { ...env, ...BEFORE_ENV }), "no-op up --skip-preview (before)")).ms);
      samples.afterSkip.push(noop(must(await after.run(UP_SKIP, env), "no-op up --skip-preview (after)")).ms);
      log(`floor run ${i + 1}/${runs}: up --yes ${secs(samples.before[i])} before, ${secs(samples.after[i])} after; --skip-preview ${secs(samples.beforeSkip[i])} before, ${secs(samples.afterSkip[i])} after`);
    }
    const traced = async (s: ThrowawayStack, extra: NodeJS.ProcessEnv): Promise<Phase[]> => {
      const t0 = Date.now();
      const r = must(await s.run([...UP_SKIP, ...TRACE], { ...env, ...extra }), "traced no-op up");
      return floorPhases(r.stderr, t0, t0 + r.ms);
    };
    const phases = { before: await traced(before, BEFORE_ENV), after: await traced(after, {}) };
    const m = {
      before: median(samples.before),
      after: median(samples.after),
      beforeSkip: median(samples.beforeSkip),
      afterSkip: median(samples.afterSkip),
    };
    const figures: RolloutFigure[] = [
      { figure: "no-op `up --yes` of the one-resource stack, before the cuts", value: secs(m.before), runs: `median of ${runs}`, notes: `range ${range(samples.before)}; SDK-serialized provider, Node.js as the SDK starts it`, samples: samples.before },
      { figure: "no-op `up --yes`, after the cuts", value: secs(m.after), runs: `median of ${runs}`, notes: `range ${range(samples.after)}; ${(m.after / m.before).toFixed(2)}× the before figure, interleaved with it`, samples: samples.after },
      { figure: "no-op `up --yes --skip-preview`, before / after", value: `${secs(m.beforeSkip)} / ${secs(m.afterSkip)}`, runs: `median of ${runs}`, notes: `${(m.afterSkip / m.before).toFixed(2)}× the before \`up --yes\`: the rollout commands and most tests skip the preview they do not show`, samples: samples.afterSkip },
    ];
    for (const p of phases.after) {
      const b = phases.before.find((x) => x.name === p.name);
      figures.push({ figure: `floor phase: ${p.name}`, value: `${p.ms} ms`, runs: "1 traced run", notes: b ? `before the cuts: ${b.ms} ms` : "", samples: [p.ms] });
    }
    return { figures, raw: { samples, phases } };
  } finally {
    await before.cleanup();
    await after.cleanup();
  }
}

/** Throws unless the engine reported no change: a floor that changes something measures more. */
function noop(r: RunResult): RunResult {
  if (/[1-9]\d* to (create|update|replace|delete)|\b[1-9]\d* (created|updated|replaced|deleted)\b/.test(r.stdout)) {
    throw new Error(`the no-op up changed something:\n${r.stdout.slice(-1500)}`);
  }
  return r;
}
