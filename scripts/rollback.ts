// `npm run rollback -- --env <stack> [--to <version>] [--take-over] [--json]`: the emergency path.
// Traffic goes to the stable color first (the router is switched at once), then the stack converges
// with an `up` that changes nothing further, then the stable color's health is checked. Never
// gated, never blocked by windows or backup age. `--to` names a release that served 100% (the
// runbook's version revert): that too is a rollback, not a promotion. When no color runs it any more
// it goes back on the idle color in the same `up` that moves the traffic (no fast path: its
// instances must start first), still ungated.
//
// On the local target the switch comes before anything loads @pulumi/pulumi (about a second here):
// the stack is read from the file backend's checkpoint as a plain file (local/checkpoint.ts), the
// lock taken, the router switched, and only then the Automation API loaded for the config edit, the
// converging `up` and the health check. When the checkpoint cannot be trusted the command says why
// and takes the slow path: the stack read through the engine, as before. Keep this file's static
// imports free of Pulumi (and of anything that imports it): `npm run bench -- --only rollback`.
import { randomUUID } from "crypto";
import * as path from "path";
import type { RolloutStatus } from "../components/rollout/control";
import { readJson, rolloutFiles, writeAtomic } from "../components/rollout/files";
import { currentHolder, describeHolder, lockDecision, processAlive, readLock, release, stuckRolloutLock, takeOver, tryAcquire } from "../components/rollout/lock";
import { FastRead, readProjectFastState } from "../components/targets/local/checkpoint";
import { switchLocalRouter } from "../components/targets/local/traffic-switch";
import { Color, Traffic } from "../components/types";
import type { ProjectStack } from "./automation";
import { STACK_NAME, UsageError, parseFlags, runMain } from "./cli-args";
import { RollbackView, chooseRollbackTarget } from "./rollback-plan";

const USAGE = "npm run rollback -- --env <stack> [--to <version>] [--take-over] [--json]";
const ROOT = path.resolve(__dirname, "..", "..");

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!processAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return !processAlive(pid);
}

const canaryTraffic = (to: Color): Traffic => (to === "green" ? { blue: 0, green: 100 } : { blue: 100, green: 0 });

async function main(): Promise<number> {
  const t0 = Date.now();
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
  if (!STACK_NAME.test(flags.env)) throw new UsageError(`--env ${JSON.stringify(flags.env)} is not a stack name (letters, digits, '.', '_' and '-')`);
  const name = flags.env;

  // The fast read (a file) or, when it cannot be trusted, the stack through the engine.
  const fast: FastRead = readProjectFastState(ROOT, name);
  let ps: ProjectStack | undefined;
  let view: RollbackView & { url?: string; host?: string };
  let slowState: import("./rollout-runner").StackState | undefined;
  if (fast.ok) {
    view = fast.state;
  } else {
    if (!/not the local target/.test(fast.reason)) process.stderr.write(`rollback: no fast path (${fast.reason}); reading the stack through the engine\n`);
    const { openStack } = await import("./automation");
    const { readState } = await import("./rollout-runner");
    ps = await openStack(name);
    view = slowState = await readState(ps);
  }
  const choice = chooseRollbackTarget(name, view, flags.to);
  if (choice.kind === "nothing") {
    process.stdout.write(`${choice.message}\n`);
    return 0;
  }
  const to = choice.to;
  const redeploy = choice.kind === "redeploy" ? choice.version : undefined;
  const version = redeploy ?? view.versions[to]!;

  const files = rolloutFiles(name);
  const held = readLock(files.lock);
  const decision = lockDecision("rollback", held, { stack: name, takeOver: flags["take-over"] });
  if (decision.action === "refuse") {
    // Nothing changes on a refusal, so reading the config for the notice delays no rollback.
    if (stuckRolloutLock(held)) await (await import("./rollout-runner")).notifyStuckLock(name, files, held, "npm run rollback (refused: add --take-over)", ps);
    throw new UsageError(decision.message);
  }
  // Taken over below; notified once the rollback is done (the rollback's own notice goes first).
  const stuck = stuckRolloutLock(held) ? held : undefined;
  const me = currentHolder("rollout", `rollback to ${to} ${version}`);
  if (decision.action === "acquire") {
    const got = tryAcquire(files.lock, me);
    if (!got.ok) throw new UsageError(`stack ${name} is ${describeHolder(got.held)}; rollback refused (add --take-over)`);
  } else if (decision.action === "take-over") {
    if (!takeOver(files.lock, decision.from, me)) throw new UsageError(`stack ${name}: the lock changed hands while taking it over; try again`);
  }
  try {
    const traffic = canaryTraffic(to);
    let routerMs: number | undefined;
    let switchFailure: string | undefined;
    if (fast.ok && !redeploy) {
      try {
        await switchLocalRouter(fast.state.router, traffic);
        routerMs = Date.now() - t0;
      } catch (e) {
        // The `up` below still moves traffic: the fast path failing must not stop the rollback.
        switchFailure = (e as Error).message;
      }
    }
    // Only now the engine side: the Automation API, the rollout's files and events.
    const runner = await import("./rollout-runner");
    const status = readJson<RolloutStatus>(files.status);
    const log = runner.engineLog(files);
    if (switchFailure) log(`router switch failed (${switchFailure}); the up below moves the traffic`);
    const beforeUp = async () => {
      // The router already serves the stable color; the running rollout must stop before our `up`
      // (the engine allows one update per stack). It stops after its current `up`.
      if (decision.action === "take-over" && processAlive(decision.from.pid) && decision.from.pid !== process.pid) {
        process.kill(decision.from.pid, "SIGTERM");
        if (!(await waitForExit(decision.from.pid, 180_000))) throw new Error(`the rollout (pid ${decision.from.pid}) did not stop within 180 s`);
      }
    };
    let timings: { routerMs?: number; convergeMs: number; health: string };
    if (redeploy) {
      ps ??= await (await import("./automation")).openStack(name);
      timings = await runner.convergeOn(ps, to, view, log, beforeUp, t0, redeploy);
    } else if (slowState) {
      const readMs = Date.now() - t0;
      const r = await runner.rollBackNow(ps!, slowState, to, log, beforeUp);
      // rollBackNow counts from after the slow read; report from the command's start.
      timings = { ...r, routerMs: r.routerMs === undefined ? undefined : r.routerMs + readMs, convergeMs: r.convergeMs + readMs };
    } else {
      const { openStack } = await import("./automation");
      ps = await openStack(name);
      timings = { routerMs, ...(await runner.convergeOn(ps, to, view, log, beforeUp, t0)) };
    }
    const reason = flags.to ? `version revert to ${flags.to}` : "npm run rollback";
    const rolledBack = { type: "rolled-back" as const, at: new Date().toISOString(), stack: name, version, rolloutId: status?.rolloutId ?? randomUUID(), to: { color: to, version }, traffic, routerMs: timings.routerMs, convergeMs: timings.convergeMs, reason, before: { traffic: view.traffic, versions: view.versions } };
    // Traffic has moved and the stack converged: only now the notifications' config is read (the
    // fast path had the checkpoint only), and they are queued after the event, never awaited.
    const notifier = await runner.notifierOf(ps!, files, slowState?.config);
    const events = runner.eventSink(files, Boolean(flags.json), notifier);
    events.emit(rolledBack);
    if (stuck) notifier?.notify(runner.stuckLockEvent(name, stuck, "npm run rollback --take-over (took the lock over and rolled back)"));
    const { TERMINAL_PHASES } = await import("../components/rollout/control");
    if (status && !TERMINAL_PHASES.includes(status.phase)) writeAtomic(files.status, JSON.stringify({ ...status, phase: "rolled-back", traffic, result: reason, updatedAt: new Date().toISOString() }, null, 2));
    const how = fast.ok ? "stack read from its checkpoint" : "stack read through the engine";
    const router = redeploy
      ? `${redeploy} redeployed on ${to} and the router switched by the same up (ungated)`
      : timings.routerMs !== undefined ? `router switched ${timings.routerMs} ms after the command started (${how})` : `router switched by the up${switchFailure ? ` (the direct switch failed: ${switchFailure})` : ""}`;
    const summary = `rolled back to ${to} ${version} in stack ${name}: ${router}, converged in ${(timings.convergeMs / 1000).toFixed(1)} s; health of ${to}: ${timings.health}`;
    (flags.json ? process.stderr : process.stdout).write(`${summary}\n`);
    return timings.health === "ok" ? 0 : 1;
  } finally {
    if (decision.action !== "proceed") release(files.lock, me);
  }
}

runMain(main, { exitWhenDone: true });
