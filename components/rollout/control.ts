// Control of a running rollout from another process (Argo's verbs). `npm run rollout` appends a
// command to the stack's control file; the running deploy reads the lines it has not seen yet.
// Append-only, so two quick commands are both seen, in order.
import { randomUUID } from "crypto";
import type { Traffic } from "../types";
import { appendLine, readJsonLines } from "./files";
import type { ColorFigures } from "./verdict";

export const VERBS = ["pause", "resume", "promote", "abort"] as const;
export type Verb = (typeof VERBS)[number];

export interface ControlCommand {
  id: string;
  verb: Verb;
  at: string;
  /** user@host (pid) of the sender. */
  by: string;
}

export function sendCommand(file: string, verb: Verb, by: string, now: Date = new Date()): ControlCommand {
  const cmd: ControlCommand = { id: randomUUID(), verb, at: now.toISOString(), by };
  appendLine(file, JSON.stringify(cmd));
  return cmd;
}

/** Reads the commands appended since the last read; the first read skips what was there before. */
export class ControlReader {
  private seen: number;
  constructor(private readonly file: string) {
    this.seen = readJsonLines(file).length;
  }
  poll(): ControlCommand[] {
    const all = readJsonLines<ControlCommand>(this.file);
    const fresh = all.slice(this.seen);
    this.seen = all.length;
    return fresh.filter((c) => (VERBS as readonly string[]).includes(c.verb));
  }
}

export type Phase = "deploying" | "stepping" | "pause" | "paused" | "bake" | "rolling-back" | "rolled-back" | "aborted" | "interrupted" | "failed" | "completed";

/** What the running rollout writes for `rollout status` (and what `resume` continues from). */
export interface RolloutStatus {
  rolloutId: string;
  stack: string;
  version: string;
  canary: "blue" | "green";
  stable: { color: "blue" | "green"; version: string };
  steps: number[];
  /** Index into `steps` of the last step applied (-1 before the first). */
  stepIndex: number;
  phase: Phase;
  /** Why it is paused (operator, inconclusive, manual). */
  pausedReason?: string;
  traffic: Traffic;
  pause: string;
  bake: string;
  /** Time left in the current pause or bake, when timed. */
  remainingMs?: number;
  /** The last analysis window's figures per color. */
  figures?: { canary?: ColorFigures; baseline?: ColorFigures; verdict: string; at: string };
  pid: number;
  startedAt: string;
  updatedAt: string;
  /** The message the rollout ended with (completed, rolled back, failed). */
  result?: string;
}

export const TERMINAL_PHASES: readonly Phase[] = ["rolled-back", "aborted", "failed", "completed"];
