// The runbook's error distribution (`grep ERROR ... | sort | uniq -c | sort -nr`), from the
// sample service's structured log lines: each ERROR line counted by its reason, per release.
import type { LogLine } from "../targets/service-logs";

export interface ErrorGroup {
  count: number;
  /** What failed: a failed request's reason, else the event and its error. */
  reason: string;
  detail?: string;
  /** The HTTP status of failed requests; absent for other events. */
  status?: number;
  color?: string;
  version?: string;
  /** Which instances wrote them. */
  sources: string[];
  firstAt?: string;
  lastAt?: string;
}

export interface ErrorDistribution {
  /** Lines read, and of those the ERROR lines. */
  lines: number;
  errors: number;
  /** Requests answered 5xx, of the ERROR lines. */
  failedRequests: number;
  groups: ErrorGroup[];
}

interface ServiceLine {
  level?: string;
  event?: string;
  time?: string;
  reason?: string;
  detail?: string;
  error?: string;
  status?: number;
  color?: string;
  version?: string;
}

function parse(text: string): ServiceLine | undefined {
  if (!text.startsWith("{")) return undefined;
  try {
    return JSON.parse(text) as ServiceLine;
  } catch {
    return undefined;
  }
}

/** Counts the ERROR lines by reason, detail, status and release; most frequent first. */
export function errorDistribution(lines: LogLine[]): ErrorDistribution {
  const groups = new Map<string, ErrorGroup>();
  let errors = 0;
  let failedRequests = 0;
  for (const line of lines) {
    const l = parse(line.text);
    // A line that is not JSON counts when it says ERROR, as the runbook's grep would.
    if (l ? l.level !== "ERROR" : !/\bERROR\b/.test(line.text)) continue;
    errors++;
    const request = l?.event === "request-failed";
    if (request) failedRequests++;
    const g: Omit<ErrorGroup, "count" | "sources"> = l
      ? {
          reason: request ? l.reason ?? "unknown" : `${l.event ?? "error"}${l.error ? `: ${l.error}` : l.reason ? `: ${l.reason}` : ""}`,
          detail: request ? l.detail : undefined,
          status: request ? l.status : undefined,
          color: l.color,
          version: l.version,
        }
      : { reason: line.text.trim() };
    const key = JSON.stringify([g.reason, g.detail, g.status, g.color, g.version]);
    const group = groups.get(key) ?? { ...g, count: 0, sources: [] };
    group.count++;
    if (!group.sources.includes(line.source)) group.sources.push(line.source);
    const at = l?.time ?? (line.time !== undefined ? new Date(line.time).toISOString() : undefined);
    if (at) {
      group.firstAt ??= at;
      group.lastAt = at;
    }
    groups.set(key, group);
  }
  const sorted = [...groups.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  for (const g of sorted) g.sources.sort();
  return { lines: lines.length, errors, failedRequests, groups: sorted };
}

/** The distribution as the runbook's `uniq -c | sort -nr` prints it, one group per line. */
export function formatErrorDistribution(d: ErrorDistribution): string {
  if (d.groups.length === 0) return `no ERROR lines in ${d.lines} log line(s)\n`;
  const width = String(d.groups[0].count).length;
  const rows = d.groups.map((g) => {
    const release = [g.color, g.version].filter(Boolean).join(" ");
    const what = `${g.reason}${g.detail ? ` (${g.detail})` : ""}`;
    const status = g.status !== undefined ? ` ${g.status}` : "";
    return `${String(g.count).padStart(width + 2)}  ${what}${status}${release ? `  [${release}]` : ""}  from ${g.sources.join(", ")}`;
  });
  return `${d.errors} ERROR line(s) in ${d.lines} log line(s), ${d.failedRequests} failed request(s):\n${rows.join("\n")}\n`;
}
