// The local target's service logs: each instance's supervisor log file (stdout and stderr, one JSON
// line per event from the sample service), plus the rotated files supervisord keeps beside it.
import * as fs from "fs";
import * as path from "path";
import { setTimeout as sleep } from "timers/promises";
import type { Color } from "../../types";
import { LogLine, LogQuery, LogsContext, ServiceLogs, byTime, jsonLineTime } from "../service-logs";
import { serviceKey } from "./names";
import * as paths from "./paths";

const POLL_MS = 250;

/** The log files of a stack's instances of `colors`: program name -> files, oldest first. */
export function instanceLogFiles(dir: string, stack: string, service: string, colors: Color[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const prefixes = colors.map((c) => `${serviceKey(stack, service)}-${c}-`);
  const names = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  for (const name of names.sort()) {
    const m = /^(.+)\.log(?:\.(\d+))?$/.exec(name);
    if (!m || !prefixes.some((p) => m[1].startsWith(p) && /^\d+$/.test(m[1].slice(p.length)))) continue;
    const files = out.get(m[1]) ?? [];
    files.push(name);
    out.set(m[1], files);
  }
  // supervisord rotates x.log to x.log.1, x.log.1 to x.log.2: the highest number is the oldest.
  const rank = (f: string) => Number(/\.log\.(\d+)$/.exec(f)?.[1] ?? 0);
  for (const [program, files] of out) out.set(program, files.sort((a, b) => rank(b) - rank(a)).map((f) => path.join(dir, f)));
  return out;
}

/**
 * The lines of one source's text. A line without its own time (a stack trace, a warning from node)
 * takes the time of the line before it, so --since keeps it with what it belongs to.
 */
export function linesOf(source: string, text: string, carried?: number): { lines: LogLine[]; last?: number } {
  const lines: LogLine[] = [];
  let last = carried;
  for (const raw of text.split("\n")) {
    if (raw === "") continue;
    last = jsonLineTime(raw) ?? last;
    lines.push({ source, text: raw, time: last });
  }
  return { lines, last };
}

export class LocalServiceLogs implements ServiceLogs {
  constructor(
    private readonly stack: string,
    private readonly service: string,
    private readonly dir = paths.logsDir(),
  ) {}

  async read(q: LogQuery): Promise<LogLine[]> {
    const since = q.sinceMs === undefined ? undefined : Date.now() - q.sinceMs;
    const all: LogLine[] = [];
    for (const [program, files] of instanceLogFiles(this.dir, this.stack, this.service, q.colors)) {
      let carried: number | undefined;
      for (const file of files) {
        const { lines, last } = linesOf(program, readIfThere(file), carried);
        carried = last;
        all.push(...lines.filter((l) => since === undefined || (l.time !== undefined && l.time >= since)));
      }
    }
    return byTime(all);
  }

  async follow(q: LogQuery, onLine: (line: LogLine) => void, signal: AbortSignal): Promise<void> {
    // From the current end of each file; a file that shrinks was rotated, and is read from its start.
    const offsets = new Map<string, number>();
    const partial = new Map<string, string>();
    const current = () => new Map([...instanceLogFiles(this.dir, this.stack, this.service, q.colors)].map(([p, files]) => [p, files[files.length - 1]]));
    for (const file of current().values()) offsets.set(file, sizeOf(file));
    while (!signal.aborted) {
      for (const [program, file] of current()) {
        const size = sizeOf(file);
        let from = offsets.get(file) ?? 0;
        if (size < from) from = 0;
        if (size === from) continue;
        const text = (partial.get(file) ?? "") + readRange(file, from, size);
        offsets.set(file, size);
        const end = text.lastIndexOf("\n");
        partial.set(file, text.slice(end + 1));
        for (const line of linesOf(program, text.slice(0, end + 1)).lines) onLine(line);
      }
      await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
    }
  }
}

export function localServiceLogs(ctx: LogsContext): ServiceLogs {
  return new LocalServiceLogs(ctx.stack, ctx.config.service.name);
}

function readIfThere(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw e;
  }
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function readRange(file: string, from: number, to: number): string {
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.alloc(to - from);
    const n = fs.readSync(fd, buf, 0, buf.length, from);
    return buf.subarray(0, n).toString("utf8");
  } finally {
    fs.closeSync(fd);
  }
}
