// `npm run rollout -- status|pause|resume|promote|abort --env <stack> [--watch] [--json]`: Argo's
// verbs for a running rollout, from another terminal. A running `deploy` reads them from the
// stack's control file. `resume` of an interrupted rollout (its deploy was stopped with Ctrl-C)
// continues it here, from the step traffic was left at; `abort` of one rolls it back.
import { parseDuration, parsePause } from "../components/rollout/duration";
import { RolloutStatus, TERMINAL_PHASES, VERBS, Verb, sendCommand } from "../components/rollout/control";
import { canaryTraffic } from "../components/rollout/controller";
import { RolloutEvent } from "../components/rollout/events";
import { readJson, readJsonLines, rolloutFiles } from "../components/rollout/files";
import { currentHolder, describeHolder, lockDecision, processAlive, readLock, release, stuckRolloutLock, tryAcquire } from "../components/rollout/lock";
import { ColorFigures } from "../components/rollout/verdict";
import { formatDuration } from "../components/rollout/duration";
import { STACK_NAME, openStack } from "./automation";
import { UsageError, parseFlags, runMain } from "./cli-args";
import { engineLog, eventSink, notifierFor, notifyStuckLock, readState, rollBackNow, runRollout } from "./rollout-runner";

const ALL = ["status", ...VERBS] as const;
const USAGE = "npm run rollout -- status|pause|resume|promote|abort --env <stack> [--watch] [--json]";

const fig = (f?: ColorFigures) => (f ? `${f.color} ${f.version}: ${f.requests} requests, error rate ${f.errorRatePercent.toFixed(2)}%, p95 ${f.p95LatencyMs === null ? "-" : `${f.p95LatencyMs.toFixed(1)} ms`}` : "-");

function describeStatus(s: RolloutStatus | undefined, stack: string, live: boolean): string {
  if (!s?.steps) return `${stack}: no rollout recorded`;
  const lines = [
    `${stack}: ${s.version} to ${s.canary} (stable ${s.stable.color} ${s.stable.version})`,
    `  phase     ${s.phase}${s.pausedReason ? ` (${s.pausedReason})` : ""}${!live && !TERMINAL_PHASES.includes(s.phase) && s.phase !== "interrupted" ? " - its process is gone: resume or roll back" : ""}`,
    `  step      ${s.stepIndex + 1}/${s.steps.length} (steps ${s.steps.join(",")})`,
    `  traffic   blue ${s.traffic.blue}% / green ${s.traffic.green}%`,
    `  left      ${s.remainingMs !== undefined ? formatDuration(s.remainingMs) : s.pause === "manual" && s.phase === "pause" ? "waiting for promote" : "-"} (pause ${s.pause}, bake ${s.bake})`,
    `  canary    ${fig(s.figures?.canary)}`,
    `  baseline  ${fig(s.figures?.baseline)}`,
    `  verdict   ${s.figures ? `${s.figures.verdict} at ${s.figures.at}` : "-"}`,
  ];
  if (s.result) lines.push(`  result    ${s.result}`);
  return lines.join("\n");
}

/** Waits until the history gets an event `match` accepts, after `from` lines. */
async function waitForEvent(file: string, from: number, match: (e: RolloutEvent) => boolean, ms: number): Promise<RolloutEvent | undefined> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const found = readJsonLines<RolloutEvent>(file).slice(from).find(match);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 200));
  }
  return undefined;
}

async function main(): Promise<number> {
  const [verb, ...rest] = process.argv.slice(2);
  if (!verb || !(ALL as readonly string[]).includes(verb)) throw new UsageError(`${verb ? JSON.stringify(verb) : "a verb"} ${verb ? "is not allowed" : "is required"} (allowed: ${ALL.join(", ")})\nusage: ${USAGE}`);
  const flags = parseFlags(
    rest,
    {
      env: { type: "string", description: "stack" },
      watch: { type: "boolean", description: "refresh status every second" },
      json: { type: "boolean", description: "JSON" },
    },
    USAGE,
  );
  if (!flags.env) throw new UsageError(`--env is required\nusage: ${USAGE}`);
  if (!STACK_NAME.test(flags.env)) throw new UsageError(`--env ${JSON.stringify(flags.env)} is not a stack name (letters, digits, '.', '_' and '-')`);
  if (flags.watch && verb !== "status") throw new UsageError(`--watch goes with status only\nusage: ${USAGE}`);
  const stack = flags.env;
  const files = rolloutFiles(stack);
  const status = () => readJson<RolloutStatus>(files.status);
  const lock = readLock(files.lock);
  const live = Boolean(lock && lock.kind === "rollout" && processAlive(lock.pid) && status()?.pid === lock.pid);

  if (verb === "status") {
    for (;;) {
      const s = status();
      const text = flags.json ? JSON.stringify({ status: s ?? null, lock: lock ?? null, live }) : `${describeStatus(s, stack, live)}${lock ? `\n  lock      ${describeHolder(lock)}` : ""}`;
      process.stdout.write(`${flags.watch && !flags.json ? "\x1b[2J\x1b[H" : ""}${text}\n`);
      if (!flags.watch || !s || TERMINAL_PHASES.includes(s.phase) || s.phase === "interrupted") return 0;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  const s = status();
  const by = `${currentHolder("rollout", "").holder} (pid ${process.pid})`;
  if (live) {
    const from = readJsonLines(files.history).length;
    sendCommand(files.control, verb as Verb, by);
    const expect: Record<Verb, (e: RolloutEvent) => boolean> = {
      pause: (e) => e.type === "paused" && e.reason === "operator",
      resume: (e) => e.type === "resumed",
      promote: (e) => e.type === "promoted" && e.by === "operator",
      abort: (e) => e.type === "rolled-back" || (e.type === "failed" && /rollback/.test(e.reason)),
    };
    const seen = await waitForEvent(files.history, from, expect[verb as Verb], verb === "abort" ? 240_000 : 30_000);
    if (!seen) {
      process.stderr.write(`error: sent ${verb}, but the rollout did not acknowledge it (see npm run rollout -- status --env ${stack})\n`);
      return 1;
    }
    process.stdout.write(`${stack}: ${verb} done (${seen.type} at ${seen.at})\n`);
    return 0;
  }

  // No rollout process runs: only an interrupted (or orphaned) rollout can be resumed or aborted.
  if (!s?.steps || TERMINAL_PHASES.includes(s.phase)) throw new UsageError(`${verb}: no rollout is running in stack ${stack}${s?.phase ? ` (the last one ${s.phase})` : ""}`);
  if (verb === "pause" || verb === "promote") throw new UsageError(`${verb}: the rollout of ${s.version} in stack ${stack} is ${s.phase} and no process drives it; resume it (npm run rollout -- resume --env ${stack}) or roll back (npm run rollback -- --env ${stack})`);
  const decision = lockDecision(verb === "abort" ? "rollback" : "resume", lock, { stack });
  if (decision.action === "refuse") {
    if (stuckRolloutLock(lock)) await notifyStuckLock(stack, files, lock, `npm run rollout -- ${verb} (refused)`);
    throw new UsageError(decision.message);
  }
  const me = currentHolder("rollout", `${verb} ${s.version}`);
  if (decision.action === "acquire") {
    const got = tryAcquire(files.lock, me);
    if (!got.ok) throw new UsageError(`stack ${stack} is ${describeHolder(got.held)}; ${verb} refused`);
  }
  try {
    const ps = await openStack(stack);
    const state = await readState(ps);
    // An abort is a rollback: a template it cannot use is a warning there, not a failure.
    const events = eventSink(files, Boolean(flags.json), notifierFor(state.config, files, { strict: verb !== "abort" }));
    if (verb === "abort") {
      const t = await rollBackNow(ps, state, s.stable.color, engineLog(files));
      const base = { at: new Date().toISOString(), stack, version: s.version, rolloutId: s.rolloutId };
      events.emit({ ...base, type: "aborted", step: s.stepIndex + 1, by, reason: `aborted by ${by}` });
      events.emit({ ...base, type: "rolled-back", to: s.stable, traffic: canaryTraffic(s.canary, 0), routerMs: t.routerMs, convergeMs: t.convergeMs, reason: `aborted by ${by}` });
      return 0;
    }
    const r = state.config.rollout;
    const result = await runRollout({
      ps,
      state,
      files,
      events,
      note: (l) => (flags.json ? process.stderr : process.stdout).write(`${l}\n`),
      start: { stepIndex: s.stepIndex, startedAt: s.startedAt },
      plan: {
        rolloutId: s.rolloutId,
        stack,
        version: s.version,
        canary: s.canary,
        stable: s.stable,
        steps: s.steps,
        pause: parsePause(s.pause) ?? parsePause(r.pause)!,
        bakeMs: parseDuration(s.bake) ?? parseDuration(r.bake)!,
        intervalMs: r.analysis.intervalSeconds * 1000,
        warmupMs: r.analysis.windowSeconds * 1000,
        consecutiveBreaches: r.analysis.consecutiveBreaches,
        resumeCommand: `npm run rollout -- resume --env ${stack}`,
        rollbackCommand: `npm run rollback -- --env ${stack}`,
        command: ["npm run rollout --", ...process.argv.slice(2)].join(" "),
      },
      onController: (c) => {
        process.on("SIGINT", () => c.interrupt());
        process.on("SIGTERM", () => c.interrupt());
      },
    });
    if (result.exitCode !== 0) process.stderr.write(`error: ${result.message}\n`);
    return result.exitCode;
  } finally {
    release(files.lock, me);
  }
}

runMain(main);
