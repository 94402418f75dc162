// Durations as people type them on the command line and in stack config ("30s", "5m", "1h30m",
// "500ms"), so `--pause 5m` and `rollout.pause: 5m` mean the same. Pure: unit tested alone.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/** Longest duration accepted anywhere (a pause or bake longer than a day is a typo). */
export const MAX_DURATION_MS = 24 * 3_600_000;

export const DURATION_FORMAT = "a duration such as 30s, 5m, 1h30m or 500ms (at most 24h)";

/** Milliseconds of `text`, or undefined when it is not a duration in DURATION_FORMAT. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (!WHOLE.test(t)) return undefined;
  let ms = 0;
  for (const m of t.matchAll(PART)) ms += Number(m[1]) * UNIT_MS[m[2]];
  ms = Math.round(ms);
  return ms <= MAX_DURATION_MS ? ms : undefined;
}

/** "1m30s", "4s", "250ms", "0s": the shortest way to say it, for messages and status. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return "0s";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s || (!h && !m) ? `${s}s` : ""}`;
}

/** A pause is either timed or waits for `rollout promote` (manual judgement). */
export type Pause = { kind: "timed"; ms: number } | { kind: "manual" };

/** Parses `--pause` / `rollout.pause`: a duration or "manual"; undefined when it is neither. */
export function parsePause(text: string): Pause | undefined {
  if (text.trim() === "manual") return { kind: "manual" };
  const ms = parseDuration(text);
  return ms === undefined ? undefined : { kind: "timed", ms };
}

export function formatPause(p: Pause): string {
  return p.kind === "manual" ? "manual" : formatDuration(p.ms);
}
