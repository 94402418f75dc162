// The policy clock and deployment-window arithmetic, with Intl.DateTimeFormat for time zones.

export const DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;
export type DayName = (typeof DAY_NAMES)[number];

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The time a policy judges at: the `now` option when set, otherwise the real clock. A `now` that
 * is not an ISO-8601 time with a zone gives a message naming the option; a time without a zone
 * would silently mean the pack host's local time.
 */
export function policyClock(now: string | undefined): Date | { problem: string } {
  if (now === undefined || now === "") return new Date();
  const t = ISO_TIME.test(now) ? Date.parse(now) : NaN;
  if (Number.isNaN(t)) {
    return { problem: `policy config \`now\` must be an ISO-8601 time with Z or an offset, such as "2026-11-27T15:00:00Z" (got ${JSON.stringify(now)})` };
  }
  return new Date(t);
}

/** Parses an ISO-8601 time from a record; undefined when it is not one. */
export function parseTime(s: string): Date | undefined {
  const t = ISO_TIME.test(s) ? Date.parse(s) : NaN;
  return Number.isNaN(t) ? undefined : new Date(t);
}

/** Minutes from `from` to `to` (negative when `to` is earlier). */
export function minutesBetween(from: Date, to: Date): number {
  return (to.getTime() - from.getTime()) / 60_000;
}

/** "61 minutes", "60.5 minutes", "1 minute". */
export function formatMinutes(m: number): string {
  const r = Math.round(m * 10) / 10;
  return `${r} minute${r === 1 ? "" : "s"}`;
}

/** A message naming the option when `timeZone` is not an IANA time zone this Node.js knows. */
export function timeZoneProblem(timeZone: string): string | undefined {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return undefined;
  } catch {
    return `policy config \`timeZone\` ${JSON.stringify(timeZone)} is not an IANA time zone; use a name such as "Europe/Berlin", "America/New_York" or "UTC"`;
  }
}

export interface LocalTime {
  day: DayName;
  /** Minutes since local midnight. */
  minutes: number;
  /** "16:00". */
  hhmm: string;
}

/** Day of week and time of day of `t` in `timeZone` (which must be valid). */
export function localTime(t: Date, timeZone: string): LocalTime {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(t);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const hour = Number(part("hour"));
  const minute = Number(part("minute"));
  return { day: part("weekday") as DayName, minutes: hour * 60 + minute, hhmm: `${part("hour")}:${part("minute")}` };
}

export interface Window {
  days: DayName[];
  startHour: number;
  endHour: number;
}

/**
 * True when `t` is inside the window. `startHour < endHour`: the same day, [start, end).
 * `startHour > endHour`: an overnight window that opens on each listed day at startHour and
 * closes the next morning at endHour (e.g. Mon-Thu 22:00-06:00).
 */
export function inWindow(t: LocalTime, w: Window): boolean {
  const start = w.startHour * 60;
  const end = w.endHour * 60;
  if (start < end) return w.days.includes(t.day) && t.minutes >= start && t.minutes < end;
  const yesterday = DAY_NAMES[(DAY_NAMES.indexOf(t.day) + 6) % 7];
  return (w.days.includes(t.day) && t.minutes >= start) || (w.days.includes(yesterday) && t.minutes < end);
}

/** "Mon-Thu 00:00-24:00 Europe/Berlin". */
export function describeWindow(w: Window, timeZone: string): string {
  if (w.days.length === 0) return "no days: promotions are frozen";
  const hh = (h: number) => `${String(h).padStart(2, "0")}:00`;
  return `${describeDays(w.days)} ${hh(w.startHour)}-${hh(w.endHour)} ${timeZone}`;
}

/** "Mon-Thu", "Mon, Wed, Fri", "Sat-Sun". Runs of two or more are joined by a dash. */
export function describeDays(days: readonly DayName[]): string {
  const idx = [...new Set(days.map((d) => DAY_NAMES.indexOf(d)))].filter((i) => i >= 0).sort((a, b) => a - b);
  if (idx.length === 0) return "no days";
  const runs: number[][] = [];
  for (const i of idx) {
    const last = runs[runs.length - 1];
    if (last && last[last.length - 1] === i - 1) last.push(i);
    else runs.push([i]);
  }
  return runs.map((r) => (r.length === 1 ? DAY_NAMES[r[0]] : `${DAY_NAMES[r[0]]}-${DAY_NAMES[r[r.length - 1]]}`)).join(", ");
}
