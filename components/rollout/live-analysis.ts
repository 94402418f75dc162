// The live analysis of a rollout: one window of what the canary and the stable color (the baseline)
// really served, read from the target's metrics source, plus the canary's health checks and
// instances, and everything both served since the step (for the sequential error-rate triggers). Real traffic is what is judged; a synthetic floor (by color header, through the
// router) tops a color up only while its real traffic is thinner than `floorRps`, so a quiet
// moment is still judged rather than inconclusive.
import * as http from "http";
import { COLOR_HEADER, Color } from "../types";
import type { MetricQuery } from "../gates/gate-config";
import type { MetricsSource } from "../gates/metrics-source";
import { judgeQuery, QueryJudgement } from "../gates/query-judge";
import { substitutePlaceholders } from "../gates/promql";
import type { LiveAnalysisConfig } from "./rollout-config";
import { InstanceSignals, SinceStep, WindowVerdict, judgeWindow } from "./verdict";

export interface LiveAnalysisArgs {
  stack: string;
  service: string;
  routerUrl: string;
  /** The Host header for `routerUrl` (a Gateway's virtual host), when it needs one. */
  host?: string;
  canary: { color: Color; version: string };
  baseline: { color: Color; version: string };
  source: MetricsSource;
  config: LiveAnalysisConfig;
  /** Restarts and stopped instances of the canary, from the target. */
  instances?: () => Promise<{ restarts: number; notRunning: string[] }>;
  /** Instances of the canary, for how many health probes to send. Defaults to 2. */
  replicas?: number;
  /** The stack's own queries (`gates.queries`), judged on the canary each window. Defaults to none. */
  queries?: MetricQuery[];
}

/** Shortest window judged: Prometheus scrapes every second and `increase` needs two samples. */
export const MIN_WINDOW_SECONDS = 3;

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function get(url: string, color: Color, host?: string): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent, headers: { [COLOR_HEADER]: color, ...(host ? { host } : {}) }, timeout: 3000 }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", (e) => resolve({ error: e.message }));
    req.on("timeout", () => req.destroy(new Error("timed out after 3 s")));
  });
}

export class LiveAnalysis {
  /** Times synthetic requests were sent, per color, so the floor knows what is real. */
  private readonly synthetic: Record<Color, number[]> = { blue: [], green: [] };
  private readonly realRps: Record<Color, number> = { blue: 0, green: 0 };
  private floorTimer?: NodeJS.Timeout;
  /** When the current step was applied: a window never reaches back past it (the gate's burst, the previous split). */
  private stepAt = 0;

  constructor(private readonly a: LiveAnalysisArgs) {}

  /** Marks a step as applied: later windows judge only what was served since. */
  markStep(at: number = Date.now()): void {
    this.stepAt = at;
  }

  /** Starts the synthetic floor; it adds only what real traffic lacks. */
  startFloor(): void {
    // Enough for a whole window to reach minRequests on its own (a quarter over, for scrape jitter).
    const c = this.a.config;
    const floor = c.floorRps > 0 ? Math.max(c.floorRps, (1.25 * c.minRequests) / c.windowSeconds) : 0;
    if (floor <= 0 || this.floorTimer) return;
    const tickMs = 100;
    const owed: Record<Color, number> = { blue: 0, green: 0 };
    this.floorTimer = setInterval(() => {
      for (const color of [this.a.canary.color, this.a.baseline.color]) {
        owed[color] += (Math.max(0, floor - this.realRps[color]) * tickMs) / 1000;
        while (owed[color] >= 1) {
          owed[color] -= 1;
          this.synthetic[color].push(Date.now());
          void get(`${this.a.routerUrl}/`, color, this.a.host);
        }
      }
    }, tickMs);
    this.floorTimer.unref();
  }

  stopFloor(): void {
    if (this.floorTimer) clearInterval(this.floorTimer);
    this.floorTimer = undefined;
  }

  private syntheticSince(color: Color, since: number): number {
    const list = this.synthetic[color];
    while (list.length && list[0] < since - 3_600_000) list.shift();
    return list.filter((t) => t >= since).length;
  }

  private async health(): Promise<string[]> {
    const failing: string[] = [];
    const probes = Math.max(1, this.a.replicas ?? 2);
    const results = await Promise.all(Array.from({ length: probes }, () => get(`${this.a.routerUrl}/healthz`, this.a.canary.color, this.a.host)));
    for (const r of results) {
      if ("error" in r) failing.push(`/healthz: ${r.error}`);
      else if (r.status !== 200) failing.push(`/healthz answered ${r.status}`);
    }
    return failing;
  }

  /** One window: metrics of both colors, health and instances of the canary, judged. */
  async judge(): Promise<WindowVerdict> {
    const c = this.a.config;
    // Since the step, but at least MIN_WINDOW_SECONDS: Prometheus needs two scrapes in a range.
    const windowSeconds = Math.max(MIN_WINDOW_SECONDS, Math.min(c.windowSeconds, (Date.now() - this.stepAt) / 1000));
    const since = Date.now() - windowSeconds * 1000;
    const signals: InstanceSignals = { failingHealth: await this.health(), restarts: 0, notRunning: [] };
    if (this.a.instances) {
      try {
        Object.assign(signals, await this.a.instances());
      } catch {
        // the supervisor not answering says nothing about the canary; the metrics still judge
      }
    }
    const series = (x: { color: Color; version: string }) => ({ stack: this.a.stack, service: this.a.service, ...x });
    let canary, baseline, unreadable: string | undefined;
    try {
      [canary, baseline] = await Promise.all([this.a.source.sample(series(this.a.canary), windowSeconds), this.a.source.sample(series(this.a.baseline), windowSeconds)]);
    } catch (e) {
      unreadable = `${this.a.source.description}: ${(e as Error).message}`;
    }
    for (const [color, s] of [[this.a.canary.color, canary], [this.a.baseline.color, baseline]] as const) {
      if (s) this.realRps[color] = Math.max(0, s.requests - this.syntheticSince(color, since)) / windowSeconds;
    }
    const [sinceStep, queries] = await Promise.all([this.sinceStep(), this.judgeQueries()]);
    return judgeWindow({ ...this.a.canary, sample: canary, unreadable }, { ...this.a.baseline, sample: baseline }, signals, c, sinceStep, queries);
  }

  /** The stack's queries on the canary's release; an unreadable one is inconclusive. */
  private async judgeQueries(): Promise<QueryJudgement[]> {
    const queries = this.a.queries ?? [];
    if (!queries.length) return [];
    const vars = { stack: this.a.stack, service: this.a.service, ...this.a.canary };
    return Promise.all(
      queries.map(async (q): Promise<QueryJudgement> => {
        try {
          if (!this.a.source.instantQuery) throw new Error(`${this.a.source.description} cannot run PromQL`);
          return judgeQuery(q, await this.a.source.instantQuery(substitutePlaceholders(q.query, vars)));
        } catch (e) {
          return { status: "inconclusive", name: q.name, message: `query ${q.name} unreadable (${(e as Error).message}): inconclusive` };
        }
      }),
    );
  }

  /** Everything both colors served since the step, for the sequential error-rate triggers. */
  private async sinceStep(): Promise<SinceStep | undefined> {
    if (!this.stepAt) return undefined;
    const start = new Date(this.stepAt);
    const series = (x: { color: Color; version: string }) => ({ stack: this.a.stack, service: this.a.service, ...x });
    try {
      const [canary, baseline] = await Promise.all([this.a.source.countsSince(series(this.a.canary), start), this.a.source.countsSince(series(this.a.baseline), start)]);
      return { canary, baseline };
    } catch {
      // The window's own rules still judge; the sequential triggers wait for a readable window.
      return undefined;
    }
  }
}
