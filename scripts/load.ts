// Load and traffic-split measurement against a router on this machine, for the integration tests
// and benchmarks. The load generator is `hey` (installed by the bootstrap), run as a child process
// until stopped, so it spans a whole `pulumi up` of unknown length.
import { spawn } from "child_process";
import * as http from "http";

export interface LoadReport {
  requests: number;
  requestsPerSecond: number;
  /** Responses by HTTP status. */
  statuses: Record<string, number>;
  /** Requests that got no HTTP response at all (refused, reset, timeout). */
  errors: number;
  /** Non-2xx responses plus errors. */
  failed: number;
  raw: string;
}

export function parseHeyReport(raw: string): LoadReport {
  const requestsPerSecond = Number(/Requests\/sec:\s+([\d.]+)/.exec(raw)?.[1] ?? 0);
  const statuses: Record<string, number> = {};
  for (const m of raw.matchAll(/\[(\d{3})\]\s+(\d+) responses/g)) statuses[m[1]] = Number(m[2]);
  let errors = 0;
  const errSection = raw.split("Error distribution:")[1];
  if (errSection) for (const m of errSection.matchAll(/\[(\d+)\]\s/g)) errors += Number(m[1]);
  const responses = Object.values(statuses).reduce((a, b) => a + b, 0);
  const non2xx = Object.entries(statuses).filter(([s]) => !s.startsWith("2")).reduce((a, [, n]) => a + n, 0);
  return { requests: responses + errors, requestsPerSecond, statuses, errors, failed: non2xx + errors, raw };
}

export interface RunningLoad {
  stop(): Promise<LoadReport>;
}

/**
 * Starts `hey` against `url` with `concurrency` workers, each capped at `perWorkerRps`; `host` is
 * the Host header, for a gateway that serves several hosts at one address.
 */
export function startLoad(url: string, opts: { concurrency?: number; perWorkerRps?: number; maxSeconds?: number; host?: string } = {}): RunningLoad {
  const args = ["-z", `${opts.maxSeconds ?? 600}s`, "-c", String(opts.concurrency ?? 40), "-t", "10"];
  if (opts.perWorkerRps) args.push("-q", String(opts.perWorkerRps));
  if (opts.host) args.push("-host", opts.host);
  const child = spawn("hey", [...args, url], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const done = new Promise<LoadReport>((resolve) => child.on("close", () => resolve(parseHeyReport(out))));
  return {
    async stop() {
      // hey prints its report when interrupted.
      child.kill("SIGINT");
      return done;
    },
  };
}

/**
 * How many points a measured green share may stray from the configured weight by chance alone.
 * nginx picks each request's color at random ($request_id), so the green count over `n` requests
 * is binomial: a fixed tolerance that is tight at 10% fails about one run in a hundred at 50%.
 * Five standard deviations make a false failure about one in 1.7 million; never under one point.
 */
export function splitTolerancePoints(greenPct: number, n: number): number {
  if (!(n > 0)) throw new Error(`splitTolerancePoints: n must be positive (got ${n})`);
  const p = Math.min(Math.max(greenPct / 100, 0), 1);
  return Math.max(1, 5 * Math.sqrt((p * (1 - p)) / n) * 100);
}

/** GETs `url` `n` times (16 at a time) and counts responses by X-Runbook-Color; `headers` go with each request. */
export async function measureSplit(url: string, n: number, headers: Record<string, string> = {}): Promise<{ blue: number; green: number; other: number }> {
  // A fresh pool per measurement: idle keep-alive sockets from an earlier one may have been closed
  // by a router reload since, and reusing them would count the client's stale socket as a failure.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const counts = { blue: 0, green: 0, other: 0 };
  let next = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      http
        .get(url, { agent, headers }, (res) => {
          const c = res.headers["x-runbook-color"];
          if (res.statusCode === 200 && (c === "blue" || c === "green")) counts[c]++;
          else counts.other++;
          res.resume();
          res.on("end", resolve);
        })
        .on("error", () => {
          counts.other++;
          resolve();
        });
    });
  const worker = async () => {
    while (next++ < n) await one();
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  agent.destroy();
  return counts;
}
