// `npm run rollback -- --env <stack> [--to <version>] [--take-over] [--json]`: the emergency path.
// Traffic goes to the stable color first (the router is switched at once), then the stack converges
// with an `up` that changes nothing further, then the stable color's health is checked. Never
// gated, never blocked by windows or backup age. `--to` names a release that served 100% and still
// runs on a color (the runbook's version revert): that too is a rollback, not a promotion.
import { randomUUID } from "crypto";
import { RolloutStatus, TERMINAL_PHASES } from "../components/rollout/control";
import { canaryTraffic } from "../components/rollout/controller";
import { readJson, rolloutFiles, writeAtomic } from "../components/rollout/files";
import { currentHolder, describeHolder, lockDecision, processAlive, readLock, release, takeOver, tryAcquire } from "../components/rollout/lock";
import { COLORS, Color } from "../components/types";
import { openStack } from "./automation";
import { UsageError, parseFlags, runMain } from "./cli-args";
import { engineLog, eventSink, readState, rollBackNow } from "./rollout-runner";

const USAGE = "npm run rollback -- --env <stack> [--to <version>] [--take-over] [--json]";

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!processAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return !processAlive(pid);
}

async function main(): Promise<number> {
  const flags = parseFlags(
    process.argv.slice(2),
    {
      env: { type: "string", description: "stack" },
      to: { type: "string", description: "a release that served 100%" },
      "take-over": { type: "boolean", description: "stop a running rollout and take its lock" },
      json: { type: "boolean", description: "events as JSON lines" },
    },
    USAGE,
  );
  if (!flags.env) throw new UsageError(`--env is required\nusage: ${USAGE}`);
  const t0 = Date.now();
  const ps = await openStack(flags.env);
  const state = await readState(ps);
  const files = rolloutFiles(ps.name);
  if (!state.traffic) throw new UsageError(`stack ${ps.name} has not been deployed yet: nothing to roll back`);

  let to: Color | undefined;
  if (flags.to) {
    to = COLORS.find((c) => state.versions[c] === flags.to);
    const proven = COLORS.filter((c) => state.stableReleases[c]).map((c) => `${state.stableReleases[c]!.version} (${c})`);
    if (!to) throw new UsageError(`--to ${flags.to}: no color runs it in stack ${ps.name} (allowed: ${proven.join(", ") || "none"}; a release no longer deployed comes back by npm run deploy, gated)`);
    if (state.stableReleases[to]?.version !== flags.to) {
      throw new UsageError(`--to ${flags.to} (${to}) has not served 100%: moving traffic to it is a promotion, not a rollback (allowed: ${proven.join(", ") || "none"}; use npm run deploy)`);
    }
  } else {
    to = state.stable?.color;
    if (!to) throw new UsageError(`stack ${ps.name} has no stable release to roll back to (the stable output is empty)`);
  }
  if (state.traffic[to] === 100) {
    process.stdout.write(`${to} ${state.versions[to]} already serves 100% in stack ${ps.name}: nothing to roll back\n`);
    return 0;
  }

  const held = readLock(files.lock);
  const decision = lockDecision("rollback", held, { stack: ps.name, takeOver: flags["take-over"] });
  if (decision.action === "refuse") throw new UsageError(decision.message);
  const me = currentHolder("rollout", `rollback to ${to} ${state.versions[to]}`);
  if (decision.action === "acquire") {
    const got = tryAcquire(files.lock, me);
    if (!got.ok) throw new UsageError(`stack ${ps.name} is ${describeHolder(got.held)}; rollback refused (add --take-over)`);
  } else if (decision.action === "take-over") {
    if (!takeOver(files.lock, decision.from, me)) throw new UsageError(`stack ${ps.name}: the lock changed hands while taking it over; try again`);
  }
  const status = readJson<RolloutStatus>(files.status);
  const events = eventSink(files, Boolean(flags.json));
  try {
    const log = engineLog(files);
    const openMs = Date.now() - t0;
    const timings = await rollBackNow(ps, state, to, log, async () => {
      // The router already serves the stable color; the running rollout must stop before our `up`
      // (the engine allows one update per stack). It stops after its current `up`.
      if (decision.action === "take-over" && processAlive(decision.from.pid) && decision.from.pid !== process.pid) {
        process.kill(decision.from.pid, "SIGTERM");
        if (!(await waitForExit(decision.from.pid, 180_000))) throw new Error(`the rollout (pid ${decision.from.pid}) did not stop within 180 s`);
      }
    });
    const traffic = canaryTraffic(to, 100);
    const reason = flags.to ? `version revert to ${flags.to}` : "npm run rollback";
    events.emit({ type: "rolled-back", at: new Date().toISOString(), stack: ps.name, version: state.versions[to]!, rolloutId: status?.rolloutId ?? randomUUID(), to: { color: to, version: state.versions[to]! }, traffic, routerMs: timings.routerMs, convergeMs: timings.convergeMs, reason });
    if (status && !TERMINAL_PHASES.includes(status.phase)) writeAtomic(files.status, JSON.stringify({ ...status, phase: "rolled-back", traffic, result: reason, updatedAt: new Date().toISOString() }, null, 2));
    const router = timings.routerMs !== undefined ? `router switched ${timings.routerMs} ms after the stack was read (${openMs} ms)` : "router switched by the up";
    const summary = `rolled back to ${to} ${state.versions[to]} in stack ${ps.name}: ${router}, converged in ${(timings.convergeMs / 1000).toFixed(1)} s; health of ${to}: ${timings.health}`;
    (flags.json ? process.stderr : process.stdout).write(`${summary}\n`);
    return timings.health === "ok" ? 0 : 1;
  } finally {
    if (decision.action !== "proceed") release(files.lock, me);
  }
}

runMain(main);
