// `npm run deploy -- --env <stack> --version <v> [--steps 10,50,100] [--pause <duration>|manual]
// [--bake <duration>] [--message <why>] [--yes] [--json]`: the runbook's whole deployment as one
// command. The release goes to the idle color with no traffic, then each step is a config edit and
// an `up` (gates and policies as always), then a pause watched by the live analysis; after 100% the
// bake. A rollback trigger sends traffic back to the stable color and exits 1 naming the metric,
// the value and the limit. Defaults come from the stack's `rollout.*` config.
import { randomUUID } from "crypto";
import * as readline from "readline";
import { DURATION_FORMAT, parseDuration, parsePause } from "../components/rollout/duration";
import { rolloutFiles, writeAtomic } from "../components/rollout/files";
import { currentHolder, lockDecision, readLock, release, stuckRolloutLock, tryAcquire } from "../components/rollout/lock";
import { RolloutPlan } from "../components/rollout/controller";
import { parseSteps } from "../components/rollout/steps";
import { COLORS, Color, otherColor } from "../components/types";
import { openStack } from "./automation";
import { UsageError, parseFlags, runMain } from "./cli-args";
import { eventSink, notifierFor, readState, runRollout, stuckLockEvent } from "./rollout-runner";

const USAGE = "npm run deploy -- --env <stack> --version <v1.2.3> [--steps 10,50,100] [--pause <duration>|manual] [--bake <duration>] [--message <why>] [--yes] [--json]";
const VERSION = /^v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/;

async function confirm(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  const answer = await new Promise<string>((r) => rl.question(question, r));
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

async function main(): Promise<number> {
  const flags = parseFlags(
    process.argv.slice(2),
    {
      env: { type: "string", description: "stack" },
      version: { type: "string", description: "release" },
      steps: { type: "string", description: "canary percent after each step" },
      pause: { type: "string", description: "pause after each step below 100" },
      bake: { type: "string", description: "watched time at 100%" },
      message: { type: "string", description: "why (recorded in the lock; the changes of the deployment-starting notification)" },
      yes: { type: "boolean", description: "do not ask" },
      json: { type: "boolean", description: "events as JSON lines" },
    },
    USAGE,
  );
  // Everything the command line can get wrong is checked before the stack is touched.
  if (!flags.env) throw new UsageError(`--env is required\nusage: ${USAGE}`);
  if (!flags.version) throw new UsageError(`--version is required\nusage: ${USAGE}`);
  if (!VERSION.test(flags.version)) throw new UsageError(`--version ${JSON.stringify(flags.version)} is not a release version (allowed: v1.2.3, optionally with -pre or +build)`);
  let steps: number[] | undefined;
  try {
    steps = flags.steps !== undefined ? parseSteps(flags.steps) : undefined;
  } catch (e) {
    throw new UsageError(`--steps ${(e as Error).message}`);
  }
  const pause = flags.pause !== undefined ? parsePause(flags.pause) : undefined;
  if (flags.pause !== undefined && !pause) throw new UsageError(`--pause ${JSON.stringify(flags.pause)} is not allowed (allowed: ${DURATION_FORMAT}, or manual)`);
  const bakeFlag = flags.bake !== undefined ? parseDuration(flags.bake) : undefined;
  if (flags.bake !== undefined && bakeFlag === undefined) throw new UsageError(`--bake ${JSON.stringify(flags.bake)} is not allowed (allowed: ${DURATION_FORMAT})`);
  if (!flags.yes && !process.stdin.isTTY) throw new UsageError(`--yes is required when not run from a terminal\nusage: ${USAGE}`);

  const ps = await openStack(flags.env);
  const state = await readState(ps);
  const files = rolloutFiles(ps.name);
  // Built before anything changes: a template file it cannot use is a usage error here.
  const notifier = notifierFor(state.config, files, { strict: true });
  // The lock first: "who holds it" is the answer while a rollout runs, not the split it left.
  const held = readLock(files.lock);
  const decision = lockDecision("deploy", held, { stack: ps.name });
  if (decision.action === "refuse") {
    // A lock nothing will release: someone must act, so it is notified (not only printed here).
    if (stuckRolloutLock(held)) notifier?.notify(stuckLockEvent(ps.name, held, "npm run deploy (refused)"));
    throw new UsageError(decision.message);
  }
  const stableColor = COLORS.find((c) => state.traffic?.[c] === 100);
  if (!state.traffic || !stableColor) {
    const split = state.traffic ? `blue ${state.traffic.blue}% / green ${state.traffic.green}%` : "nothing deployed yet";
    throw new UsageError(`stack ${ps.name}: traffic is ${split}; a rollout starts from one color serving 100% (finish or roll back first: npm run rollout -- resume --env ${ps.name}, or npm run rollback -- --env ${ps.name}${state.traffic ? "" : `; or deploy a first release with npm run pulumi -- up -s ${ps.name}`})`);
  }
  const stableVersion = state.versions[stableColor]!;
  if (stableVersion === flags.version) throw new UsageError(`--version ${flags.version} already serves 100% on ${stableColor} in stack ${ps.name}: nothing to roll out`);
  const canary: Color = otherColor(stableColor);
  const r = state.config.rollout;
  const plan: RolloutPlan = {
    rolloutId: randomUUID(),
    stack: ps.name,
    version: flags.version,
    canary,
    stable: { color: stableColor, version: stableVersion },
    steps: steps ?? r.steps,
    pause: pause ?? parsePause(r.pause)!,
    bakeMs: bakeFlag ?? parseDuration(r.bake)!,
    intervalMs: r.analysis.intervalSeconds * 1000,
    warmupMs: r.analysis.windowSeconds * 1000,
    consecutiveBreaches: r.analysis.consecutiveBreaches,
    resumeCommand: `npm run rollout -- resume --env ${ps.name}`,
    rollbackCommand: `npm run rollback -- --env ${ps.name}`,
    command: ["npm run deploy --", ...process.argv.slice(2)].join(" "),
    message: flags.message,
  };

  const me = currentHolder("rollout", flags.message ?? `deploy ${flags.version} to ${canary}`);
  const got = tryAcquire(files.lock, me);
  if (!got.ok) {
    // Taken between the check and here: refused the same way.
    const again = lockDecision("deploy", got.held, { stack: ps.name });
    throw new UsageError(again.action === "refuse" ? again.message : `stack ${ps.name} is locked`);
  }
  try {
    if (!flags.yes) {
      const ok = await confirm(`Roll out ${flags.version} to ${canary} on ${ps.name} (stable ${stableColor} ${stableVersion}), steps ${plan.steps.join(",")}? [y/N] `);
      if (!ok) {
        process.stderr.write("nothing was changed\n");
        return 1;
      }
    }
    // A status from an earlier rollout must not be read as this one's.
    writeAtomic(files.status, JSON.stringify({ rolloutId: plan.rolloutId, stack: ps.name, version: plan.version, phase: "deploying", pid: process.pid, startedAt: new Date().toISOString() }));
    let stop: (() => void) | undefined;
    const onSignal = () => {
      process.stderr.write("\ninterrupt: stopping after the current step (traffic stays where the last completed step put it)\n");
      stop?.();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    const result = await runRollout({ ps, state, plan, files, events: eventSink(files, Boolean(flags.json), notifier), onController: (c) => (stop = () => c.interrupt()), note: (l) => (flags.json ? process.stderr : process.stdout).write(`${l}\n`) });
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    if (result.exitCode !== 0) process.stderr.write(`${result.phase === "interrupted" ? "interrupted" : "error"}: ${result.message}\n`);
    return result.exitCode;
  } finally {
    release(files.lock, me);
  }
}

runMain(main);
