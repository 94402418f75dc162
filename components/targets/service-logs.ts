// Where the troubleshooting commands (npm run logs, npm run errors) read a stack's service logs.
// Each target that can answer implements ServiceLogs in its own folder: the local target reads the
// supervisor's log files, the kubernetes target asks kubectl for the pods' logs and events.
import type { StackConfig } from "../config/stack-config";
import type { Color } from "../types";

/** One line of one instance's output. */
export interface LogLine {
  /** The instance that wrote it: a supervisor program, or a pod. */
  source: string;
  text: string;
  /** When it was written (ms since the epoch), when the line or its neighbours say. */
  time?: number;
}

export interface LogQuery {
  colors: Color[];
  /** Only lines written in this many milliseconds before now; every line kept when absent. */
  sinceMs?: number;
}

export interface ServiceLogs {
  /** The lines of every instance of the colors, oldest first. */
  read(q: LogQuery): Promise<LogLine[]>;
  /** Calls `onLine` for each line written from now on, until `signal` aborts. */
  follow(q: LogQuery, onLine: (line: LogLine) => void, signal: AbortSignal): Promise<void>;
  /** What the platform says about the service's instances (kubernetes events), newest last. */
  events?(): Promise<string>;
}

export interface LogsContext {
  stack: string;
  config: StackConfig;
  /** The stack's config outside the project's namespace (a provider's, such as kubernetes:kubeconfig). */
  providerConfig: Record<string, string>;
}

/** The time of a structured log line (its JSON "time" field), or undefined. */
export function jsonLineTime(text: string): number | undefined {
  if (!text.startsWith("{")) return undefined;
  try {
    const t = (JSON.parse(text) as { time?: unknown }).time;
    const ms = typeof t === "string" ? Date.parse(t) : NaN;
    return Number.isFinite(ms) ? ms : undefined;
  } catch {
    return undefined;
  }
}

/** Lines sorted by time, stable; a line without a time stays after the one before it in its source. */
export function byTime(lines: LogLine[]): LogLine[] {
  return lines
    .map((l, i) => ({ l, i }))
    .sort((a, b) => (a.l.time ?? 0) - (b.l.time ?? 0) || a.i - b.i)
    .map((x) => x.l);
}
