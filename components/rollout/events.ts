// Every phase change of a rollout is one structured event: printed as it happens, appended to the
// stack's history file, and written as JSON lines with --json. The next issue's notifications and
// postmortems read these, so the shapes are the contract: add fields, never rename them.
import type { Color, Traffic } from "../types";
import type { ColorFigures, Trigger } from "./verdict";

interface Base {
  /** ISO-8601 time of the event. */
  at: string;
  stack: string;
  /** The release being rolled out (or rolled back to). */
  version: string;
  /** Identifies one rollout across its events (and across resume). */
  rolloutId: string;
}

export type RolloutEvent =
  | (Base & {
      type: "started";
      canary: string;
      stable: { color: string; version: string };
      steps: number[];
      pause: string;
      bake: string;
      command: string;
      /** What changes, when the command was told (`deploy --message`). */
      message?: string;
    })
  | (Base & { type: "step-applied"; step: number; of: number; traffic: Traffic; upMs: number })
  | (Base & { type: "paused"; reason: "timed" | "manual" | "operator" | "inconclusive"; step: number; detail: string; durationMs?: number })
  | (Base & { type: "resumed"; step: number; by: string })
  | (Base & { type: "analysis"; phase: "pause" | "bake"; step: number; verdict: "pass" | "breach" | "inconclusive"; canary?: ColorFigures; baseline?: ColorFigures; triggers: Trigger[]; reason?: string; notes: string[] })
  | (Base & { type: "promoted"; step: number; by: "timer" | "operator"; next: number | "complete" })
  | (Base & { type: "aborted"; step: number; by: string; reason: string; trigger?: Trigger })
  | (Base & {
      type: "rolled-back";
      to: { color: string; version: string };
      traffic: Traffic;
      routerMs?: number;
      convergeMs: number;
      reason: string;
      /** What served before, when the command read it (`npm run rollback`); a rollout's own events say it otherwise. */
      before?: { traffic?: Traffic; versions: Partial<Record<Color, string>> };
    })
  | (Base & { type: "interrupted"; step: number; traffic: Traffic; resume: string; rollback: string })
  | (Base & { type: "failed"; step: number; reason: string })
  | (Base & { type: "completed"; canary: string; stable: { color: string; version: string }; durationMs: number });

export type RolloutEventType = RolloutEvent["type"];

export const EVENT_TYPES: readonly RolloutEventType[] = ["started", "step-applied", "paused", "resumed", "analysis", "promoted", "aborted", "rolled-back", "interrupted", "failed", "completed"];

const traffic = (t: Traffic) => `blue ${t.blue}% / green ${t.green}%`;
const fig = (f?: ColorFigures) => (f ? `${f.color} ${f.version} ${f.requests} req, ${f.errorRatePercent.toFixed(2)}% errors, p95 ${f.p95LatencyMs === null ? "-" : `${f.p95LatencyMs.toFixed(1)} ms`}` : "");

/** One line a person reads. */
export function formatEvent(e: RolloutEvent): string {
  const time = e.at.slice(11, 19);
  switch (e.type) {
    case "started":
      return `${time} started: ${e.version} to ${e.canary} (stable ${e.stable.color} ${e.stable.version}), steps ${e.steps.join(",")}, pause ${e.pause}, bake ${e.bake}`;
    case "step-applied":
      return `${time} step ${e.step}/${e.of} applied: ${traffic(e.traffic)} (up ${(e.upMs / 1000).toFixed(1)} s)`;
    case "paused":
      return `${time} paused at step ${e.step} (${e.reason}): ${e.detail}`;
    case "resumed":
      return `${time} resumed at step ${e.step} by ${e.by}`;
    case "analysis":
      return `${time} analysis ${e.phase} step ${e.step}: ${e.verdict}${e.reason ? ` (${e.reason})` : ""}${e.triggers.length ? ` - ${e.triggers.map((t) => t.message).join("; ")}` : ""} | ${[fig(e.canary), fig(e.baseline)].filter(Boolean).join(" | ")}`;
    case "promoted":
      return `${time} promoted after step ${e.step} by ${e.by}: next ${e.next === "complete" ? "complete" : `${e.next}%`}`;
    case "aborted":
      return `${time} aborted at step ${e.step} by ${e.by}: ${e.reason}`;
    case "rolled-back":
      return `${time} rolled back to ${e.to.color} ${e.to.version}: ${traffic(e.traffic)}${e.routerMs !== undefined ? `, router switched in ${e.routerMs} ms` : ""}, converged in ${(e.convergeMs / 1000).toFixed(1)} s (${e.reason})`;
    case "interrupted":
      return `${time} interrupted at step ${e.step}: traffic stays at ${traffic(e.traffic)}\n  resume:    ${e.resume}\n  roll back: ${e.rollback}`;
    case "failed":
      return `${time} failed at step ${e.step}: ${e.reason}`;
    case "completed":
      return `${time} completed: ${e.version} on ${e.canary} serves 100%; ${e.stable.color} ${e.stable.version} kept as the rollback target (${(e.durationMs / 1000).toFixed(1)} s)`;
  }
}

export interface EventSinkOptions {
  /** Append every event here (the stack's history file). */
  historyFile?: string;
  /** JSON lines on stdout instead of readable lines (which then go to stderr). */
  json?: boolean;
  write?: (line: string) => void;
  writeErr?: (line: string) => void;
  append?: (file: string, line: string) => void;
  /**
   * Runs after each event is appended and printed (the postmortem of a rollback, the
   * notifications), each hook in turn. A line a hook returns goes to the error stream; a throw is
   * reported there as one line and never passed on, and the next hook still runs: what follows an
   * event must not fail or change the rollback it records. Defaults to none.
   */
  afterEmit?: AfterEmit | readonly AfterEmit[];
}

export type AfterEmit = (e: RolloutEvent) => string | undefined;

/** Prints, records and forwards events. */
export class EventSink {
  readonly events: RolloutEvent[] = [];
  constructor(private readonly o: EventSinkOptions) {}

  emit(e: RolloutEvent): void {
    this.events.push(e);
    const line = JSON.stringify(e);
    if (this.o.historyFile) this.o.append?.(this.o.historyFile, line);
    if (this.o.json) {
      (this.o.write ?? ((l) => process.stdout.write(`${l}\n`)))(line);
      (this.o.writeErr ?? ((l) => process.stderr.write(`${l}\n`)))(formatEvent(e));
    } else {
      (this.o.write ?? ((l) => process.stdout.write(`${l}\n`)))(formatEvent(e));
    }
    const hooks = this.o.afterEmit === undefined ? [] : typeof this.o.afterEmit === "function" ? [this.o.afterEmit] : this.o.afterEmit;
    for (const hook of hooks) this.after(e, hook);
  }

  private after(e: RolloutEvent, hook: AfterEmit): void {
    const err = this.o.writeErr ?? ((l) => process.stderr.write(`${l}\n`));
    try {
      const note = hook(e);
      if (note) err(note);
    } catch (x) {
      try {
        err(`warning: after the ${e.type} event: ${String((x as Error)?.message ?? x).replace(/\s*\n\s*/g, " ")}`);
      } catch {
        // nowhere left to say it; the event itself is recorded
      }
    }
  }
}
