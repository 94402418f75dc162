// The rollout itself, independent of the engine and of any target: deploy the release to the idle
// color, then for each step a config edit and an `up`, then a pause (or, after 100%, the bake)
// watched by the live analysis, with the operator's verbs and the rollback triggers acting on it.
// Everything with side effects comes in through `RolloutDeps`, so the unit tests drive it with a
// fake clock and fake `up`s, and the CLIs with the Automation API and Prometheus.
import { Color, Traffic } from "../types";
import { ControlCommand, Phase, RolloutStatus } from "./control";
import { Pause, formatDuration, formatPause } from "./duration";
import { EventSink, RolloutEvent } from "./events";
import { BreachTracker, Trigger, WindowVerdict, describeTrigger } from "./verdict";

export interface RolloutPlan {
  rolloutId: string;
  stack: string;
  version: string;
  canary: Color;
  stable: { color: Color; version: string };
  steps: number[];
  pause: Pause;
  bakeMs: number;
  intervalMs: number;
  /**
   * After a step, windows are thin until a whole analysis window has passed; inconclusive windows in
   * this time neither pause nor pass. The analysis window (`rollout.analysis.windowSeconds`).
   */
  warmupMs: number;
  consecutiveBreaches: number;
  /** What a person types to resume and to roll back (printed on Ctrl-C). */
  resumeCommand: string;
  rollbackCommand: string;
  /** The command line that started it, for the `started` event. */
  command: string;
  /** What changes (`deploy --message`), for the `started` event and its notification. Defaults to none. */
  message?: string;
}

export interface RolloutDeps {
  /** Config edit and `up`: the release on the canary color with no traffic. */
  deployIdle(): Promise<void>;
  /** Config edit and `up`: the canary at `percent`. Rejects when the up fails (gate, policy). */
  applyStep(percent: number): Promise<void>;
  /** One window of live analysis at the current step. */
  judge(): Promise<WindowVerdict>;
  /** The emergency path back to the stable color; resolves with what the rolled-back event reports. */
  rollback(reason: string): Promise<{ routerMs?: number; convergeMs: number }>;
  /** Commands from `npm run rollout` since the last call. */
  poll(): ControlCommand[];
  /** Writes the status file. */
  writeStatus(s: RolloutStatus): void;
  now(): number;
  sleep(ms: number): Promise<void>;
  events: EventSink;
}

export interface RolloutResult {
  /** 0 completed; 1 rolled back, aborted or failed; 130 interrupted. */
  exitCode: number;
  phase: Phase;
  message: string;
  trigger?: Trigger;
}

/** Where to start: a fresh rollout, or one resumed at a step already applied. */
export interface StartAt {
  /** Index of the last step already applied (-1: nothing yet, the release is not deployed either). */
  stepIndex: number;
  startedAt?: string;
}

/** How often the loop looks at the clock and the control file between analysis windows. */
export const TICK_MS = 200;

export function canaryTraffic(canary: Color, percent: number): Traffic {
  return canary === "green" ? { blue: 100 - percent, green: percent } : { blue: percent, green: 100 - percent };
}

type WatchOutcome = { kind: "next"; by: "timer" | "operator" } | { kind: "rollback"; trigger: Trigger } | { kind: "abort"; by: string } | { kind: "interrupted" };

export class RolloutController {
  private interrupted = false;
  private status: RolloutStatus;

  constructor(private readonly plan: RolloutPlan, private readonly deps: RolloutDeps, private readonly start: StartAt = { stepIndex: -1 }) {
    const now = new Date(deps.now()).toISOString();
    this.status = {
      rolloutId: plan.rolloutId,
      stack: plan.stack,
      version: plan.version,
      canary: plan.canary,
      stable: plan.stable,
      steps: plan.steps,
      stepIndex: start.stepIndex,
      phase: "deploying",
      traffic: canaryTraffic(plan.canary, start.stepIndex >= 0 ? plan.steps[start.stepIndex] : 0),
      pause: formatPause(plan.pause),
      bake: formatDuration(plan.bakeMs),
      pid: process.pid,
      startedAt: start.startedAt ?? now,
      updatedAt: now,
    };
  }

  /** Ctrl-C: stop after the current `up` (if one runs), leaving traffic at the last completed step. */
  interrupt(): void {
    this.interrupted = true;
  }

  private base() {
    return { at: new Date(this.deps.now()).toISOString(), stack: this.plan.stack, version: this.plan.version, rolloutId: this.plan.rolloutId };
  }

  private emit(e: RolloutEvent): void {
    this.deps.events.emit(e);
  }

  private update(patch: Partial<RolloutStatus>): void {
    this.status = { ...this.status, ...patch, updatedAt: new Date(this.deps.now()).toISOString() };
    this.deps.writeStatus(this.status);
  }

  async run(): Promise<RolloutResult> {
    const p = this.plan;
    const t0 = this.deps.now();
    if (this.start.stepIndex < 0) {
      this.emit({ ...this.base(), type: "started", canary: p.canary, stable: p.stable, steps: p.steps, pause: formatPause(p.pause), bake: formatDuration(p.bakeMs), command: p.command, ...(p.message ? { message: p.message } : {}) });
      this.update({ phase: "deploying" });
      try {
        await this.deps.deployIdle();
      } catch (e) {
        return this.fail(-1, `deploying ${p.version} to ${p.canary} failed: ${(e as Error).message}`, false);
      }
    } else {
      // Resumed: watch the step already applied again, then go on.
      this.emit({ ...this.base(), type: "resumed", step: this.start.stepIndex + 1, by: "resume" });
      const outcome = await this.watch(this.start.stepIndex);
      const done = await this.after(outcome, this.start.stepIndex);
      if (done) return done;
    }
    if (this.interrupted) return this.interruptedResult(this.start.stepIndex);
    for (let i = this.start.stepIndex + 1; i < p.steps.length; i++) {
      const percent = p.steps[i];
      this.update({ phase: "stepping" });
      const began = this.deps.now();
      try {
        await this.deps.applyStep(percent);
      } catch (e) {
        return this.fail(i, `step ${i + 1} (${p.canary} ${percent}%) failed: ${(e as Error).message}`, true);
      }
      const traffic = canaryTraffic(p.canary, percent);
      this.update({ stepIndex: i, traffic });
      this.emit({ ...this.base(), type: "step-applied", step: i + 1, of: p.steps.length, traffic, upMs: this.deps.now() - began });
      if (this.interrupted) return this.interruptedResult(i);
      const outcome = await this.watch(i);
      const done = await this.after(outcome, i);
      if (done) return done;
    }
    const message = `${p.version} on ${p.canary} serves 100%; ${p.stable.color} ${p.stable.version} kept as the rollback target`;
    this.update({ phase: "completed", remainingMs: undefined, result: message });
    this.emit({ ...this.base(), type: "completed", canary: p.canary, stable: p.stable, durationMs: this.deps.now() - t0 });
    return { exitCode: 0, phase: "completed", message };
  }

  /** Acts on how a pause ended; returns the result when the rollout ends here. */
  private async after(outcome: WatchOutcome, i: number): Promise<RolloutResult | undefined> {
    const p = this.plan;
    const last = i === p.steps.length - 1;
    switch (outcome.kind) {
      case "next":
        this.emit({ ...this.base(), type: "promoted", step: i + 1, by: outcome.by, next: last ? "complete" : p.steps[i + 1] });
        return undefined;
      case "interrupted":
        return this.interruptedResult(i);
      case "abort": {
        const reason = `aborted by ${outcome.by}`;
        this.emit({ ...this.base(), type: "aborted", step: i + 1, by: outcome.by, reason });
        return this.rollBack(reason, "aborted");
      }
      case "rollback": {
        const reason = describeTrigger(outcome.trigger);
        this.emit({ ...this.base(), type: "aborted", step: i + 1, by: "analysis", reason, trigger: outcome.trigger });
        const r = await this.rollBack(reason, "rolled-back");
        return { ...r, trigger: outcome.trigger };
      }
    }
  }

  private async rollBack(reason: string, phase: "aborted" | "rolled-back"): Promise<RolloutResult> {
    const p = this.plan;
    this.update({ phase: "rolling-back", remainingMs: undefined });
    try {
      const r = await this.deps.rollback(reason);
      const traffic = canaryTraffic(p.canary, 0);
      this.emit({ ...this.base(), type: "rolled-back", to: p.stable, traffic, routerMs: r.routerMs, convergeMs: r.convergeMs, reason });
      const message = `rolled back to ${p.stable.color} ${p.stable.version}: ${reason}`;
      this.update({ phase, traffic, result: message });
      return { exitCode: 1, phase, message };
    } catch (e) {
      const message = `rollback to ${p.stable.color} ${p.stable.version} failed: ${(e as Error).message} (after: ${reason}); run ${p.rollbackCommand}`;
      this.update({ phase: "failed", result: message });
      return { exitCode: 1, phase: "failed", message };
    }
  }

  private async fail(i: number, reason: string, rollBack: boolean): Promise<RolloutResult> {
    this.emit({ ...this.base(), type: "failed", step: i + 1, reason });
    if (rollBack && this.status.stepIndex >= 0) return this.rollBack(reason, "rolled-back");
    // Nothing took traffic yet (a failed gate leaves traffic where it was): nothing to roll back.
    this.update({ phase: "failed", result: reason });
    return { exitCode: 1, phase: "failed", message: reason };
  }

  private interruptedResult(i: number): RolloutResult {
    const traffic = this.status.traffic;
    this.emit({ ...this.base(), type: "interrupted", step: i + 1, traffic, resume: this.plan.resumeCommand, rollback: this.plan.rollbackCommand });
    this.update({ phase: "interrupted", remainingMs: undefined, result: "interrupted" });
    return { exitCode: 130, phase: "interrupted", message: `interrupted at step ${i + 1}; traffic stays at blue ${traffic.blue}% / green ${traffic.green}%` };
  }

  /**
   * The pause after step `i` (or the bake after 100%): analysis every `intervalMs`, the operator's
   * verbs in between. It moves on only after its time ran out and the last window passed; an
   * inconclusive window pauses it until `resume` (or `promote`); a trigger ends it.
   */
  private async watch(i: number): Promise<WatchOutcome> {
    const p = this.plan;
    const bake = p.steps[i] === 100;
    const phase: "pause" | "bake" = bake ? "bake" : "pause";
    const timed = bake || p.pause.kind === "timed";
    let remaining = bake ? p.bakeMs : p.pause.kind === "timed" ? p.pause.ms : Infinity;
    let paused: string | undefined;
    const tracker = new BreachTracker(p.consecutiveBreaches);
    let lastPass = false;
    let nextJudge = this.deps.now() + p.intervalMs;
    const warmUntil = this.deps.now() + p.warmupMs;
    let last = this.deps.now();
    const pausedEvent = (reason: "timed" | "manual" | "operator" | "inconclusive", detail: string, durationMs?: number) =>
      this.emit({ ...this.base(), type: "paused", reason, step: i + 1, detail, durationMs });
    if (bake) pausedEvent("timed", `bake at 100% for ${formatDuration(p.bakeMs)}`, p.bakeMs);
    else if (p.pause.kind === "manual") pausedEvent("manual", "waiting for npm run rollout -- promote");
    else pausedEvent("timed", `for ${formatDuration(p.pause.ms)}`, p.pause.ms);
    this.update({ phase, remainingMs: timed ? remaining : undefined, pausedReason: p.pause.kind === "manual" && !bake ? "manual" : undefined });

    for (;;) {
      for (const cmd of this.deps.poll()) {
        if (cmd.verb === "abort") return { kind: "abort", by: cmd.by };
        if (cmd.verb === "promote") return { kind: "next", by: "operator" };
        if (cmd.verb === "pause") {
          // Acknowledged even when already paused (by an inconclusive window, or twice): the
          // operator's pause holds until a resume, whatever paused it first.
          paused = "operator";
          pausedEvent("operator", `by ${cmd.by}`);
          this.update({ phase: "paused", pausedReason: `by ${cmd.by}` });
        } else if (cmd.verb === "resume" && paused) {
          paused = undefined;
          this.emit({ ...this.base(), type: "resumed", step: i + 1, by: cmd.by });
          this.update({ phase, pausedReason: undefined });
        }
      }
      if (this.interrupted) return { kind: "interrupted" };
      const now = this.deps.now();
      if (!paused && timed) remaining -= now - last;
      last = now;
      if (now >= nextJudge) {
        const v = await this.deps.judge();
        nextJudge = this.deps.now() + p.intervalMs;
        const d = tracker.decide(v, { warming: this.deps.now() < warmUntil });
        this.emit({ ...this.base(), type: "analysis", phase, step: i + 1, verdict: v.verdict, canary: v.canary, baseline: v.baseline, triggers: v.triggers, reason: v.verdict === "inconclusive" ? v.reason : undefined, notes: v.notes });
        this.update({ figures: { canary: v.canary, baseline: v.baseline, verdict: v.verdict, at: new Date(this.deps.now()).toISOString() } });
        if (d.action === "rollback") return { kind: "rollback", trigger: d.trigger };
        if (d.action === "inconclusive") {
          lastPass = false;
          if (!paused && this.deps.now() >= warmUntil) {
            paused = "inconclusive";
            pausedEvent("inconclusive", `${d.reason}; never promoted without evidence: npm run rollout -- resume|promote|abort --env ${p.stack}`);
            this.update({ phase: "paused", pausedReason: `inconclusive: ${d.reason}` });
          }
        } else {
          lastPass = v.verdict === "pass";
        }
      }
      if (timed && !paused && remaining <= 0 && lastPass) return { kind: "next", by: "timer" };
      this.update({ remainingMs: timed ? Math.max(0, remaining) : undefined });
      await this.deps.sleep(Math.min(TICK_MS, Math.max(0, nextJudge - this.deps.now())) || TICK_MS);
    }
  }
}
