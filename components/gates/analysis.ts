// The analysis a health gate runs on one window of metrics: absolute SLOs for the canary (the color
// gaining traffic) and, when the stable color served enough requests in the same window, the
// canary-vs-baseline rules. Pure (no Pulumi, no I/O): the Prometheus and CloudWatch sources both
// turn their query results into `MetricSample`s and call `analyze`.

/** What one color served in the analysis window. */
export interface MetricSample {
  /** Requests served in the window. */
  requests: number;
  /** Requests answered with a 5xx in the window. */
  errors: number;
  /** 95th percentile response time over the window, in milliseconds. */
  p95LatencyMs: number;
}

export interface AnalysisThresholds {
  /** Absolute SLO: highest error rate the canary may show, in percent. Defaults to 0.1. */
  maxErrorRatePercent?: number;
  /** Absolute SLO: lowest success rate (non-5xx share) the canary may show, in percent. Defaults to 99.9. */
  minSuccessRatePercent?: number;
  /** Absolute SLO: highest p95 latency the canary may show, in milliseconds. Defaults to 200. */
  p95LatencyMs?: number;
  /** Canary rule: how many percentage points the canary's error rate may exceed the baseline's. Defaults to 1.0. */
  maxErrorRateIncreasePp?: number;
  /** Canary rule: how many percent the canary's p95 latency may exceed the baseline's. Defaults to 10. */
  maxLatencyIncreasePercent?: number;
  /** Fewest requests a color must serve in the window for its numbers to count. Defaults to 50. */
  minRequests?: number;
}

export type ResolvedThresholds = Required<AnalysisThresholds>;

export const DEFAULT_THRESHOLDS: ResolvedThresholds = {
  maxErrorRatePercent: 0.1,
  minSuccessRatePercent: 99.9,
  p95LatencyMs: 200,
  maxErrorRateIncreasePp: 1.0,
  maxLatencyIncreasePercent: 10,
  minRequests: 50,
};

export type Verdict = "pass" | "fail" | "inconclusive";

export interface AnalysisResult {
  verdict: Verdict;
  /**
   * Why the verdict is not "pass", each saying what was required and what was seen. For
   * "inconclusive" it holds the reason the window could not be judged.
   */
  failures: string[];
  /** What the analysis could not check, e.g. the canary rules without a usable baseline. */
  notes: string[];
}

const PERCENT_FIELDS = ["maxErrorRatePercent", "minSuccessRatePercent", "maxErrorRateIncreasePp"] as const;

/** Fills in the defaults and throws a message naming each bad field. */
export function resolveThresholds(t: AnalysisThresholds = {}): ResolvedThresholds {
  const r: ResolvedThresholds = { ...DEFAULT_THRESHOLDS };
  for (const [k, v] of Object.entries(t) as [keyof AnalysisThresholds, number | undefined][]) {
    if (v !== undefined) r[k] = v;
  }
  const problems: string[] = [];
  for (const [k, v] of Object.entries(r) as [keyof ResolvedThresholds, number][]) {
    if (!(k in DEFAULT_THRESHOLDS)) {
      problems.push(`${k}: unknown threshold (allowed: ${Object.keys(DEFAULT_THRESHOLDS).join(", ")})`);
    } else if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      problems.push(`${k} must be a number of at least 0 (got ${JSON.stringify(v)})`);
    } else if ((PERCENT_FIELDS as readonly string[]).includes(k) && v > 100) {
      problems.push(`${k} must be at most 100 (got ${v})`);
    }
  }
  if (!Number.isInteger(r.minRequests)) problems.push(`minRequests must be an integer (got ${r.minRequests})`);
  if (problems.length) throw new Error(`invalid analysis thresholds: ${problems.join("; ")}`);
  return r;
}

function checkSample(what: string, s: MetricSample): void {
  for (const k of ["requests", "errors"] as const) {
    if (!Number.isFinite(s[k]) || s[k] < 0) throw new Error(`${what}.${k} must be a number of at least 0 (got ${s[k]})`);
  }
  if (s.errors > s.requests) throw new Error(`${what}.errors (${s.errors}) cannot exceed ${what}.requests (${s.requests})`);
  if (Number.isFinite(s.p95LatencyMs) && s.p95LatencyMs < 0) {
    throw new Error(`${what}.p95LatencyMs must be at least 0 (got ${s.p95LatencyMs})`);
  }
}

/** Error rate in percent; 0 when nothing was served. */
export function errorRatePercent(s: MetricSample): number {
  return s.requests > 0 ? (s.errors / s.requests) * 100 : 0;
}

const pct = (v: number): string => `${v.toFixed(2)}%`;
const ms = (v: number): string => `${+v.toFixed(1)} ms`;
const pp = (v: number): string => `${v.toFixed(1)} pp`;

/**
 * Judges the canary's window. The absolute SLOs always apply; the canary rules apply when a
 * baseline with at least `minRequests` requests exists. Too few canary requests is
 * "inconclusive", never "pass": a gate must not wave a release through on no evidence.
 */
export function analyze(canary: MetricSample, baseline: MetricSample | undefined, thresholds: AnalysisThresholds = {}): AnalysisResult {
  const t = resolveThresholds(thresholds);
  checkSample("canary", canary);
  if (baseline) checkSample("baseline", baseline);
  const notes: string[] = [];

  if (canary.requests < t.minRequests) {
    return {
      verdict: "inconclusive",
      failures: [`only ${canary.requests} requests in the analysis window, at least ${t.minRequests} needed`],
      notes,
    };
  }
  if (!Number.isFinite(canary.p95LatencyMs)) {
    return { verdict: "inconclusive", failures: ["no p95 latency in the analysis window"], notes };
  }

  const failures: string[] = [];
  const errorRate = errorRatePercent(canary);
  const successRate = 100 - errorRate;
  if (errorRate > t.maxErrorRatePercent) {
    failures.push(`error rate ${pct(errorRate)} > ${pct(t.maxErrorRatePercent)} SLO`);
  }
  // With the defaults this mirrors the error-rate SLO; both stay because each can be tuned alone.
  if (successRate < t.minSuccessRatePercent) {
    failures.push(`success rate ${pct(successRate)} < ${pct(t.minSuccessRatePercent)} SLO`);
  }
  if (canary.p95LatencyMs > t.p95LatencyMs) {
    failures.push(`p95 latency ${ms(canary.p95LatencyMs)} > ${ms(t.p95LatencyMs)} SLO`);
  }

  if (!baseline) {
    notes.push("no baseline: canary rules not applied, absolute SLOs only");
  } else if (baseline.requests < t.minRequests) {
    notes.push(`baseline served only ${baseline.requests} requests (at least ${t.minRequests} needed): canary rules not applied, absolute SLOs only`);
  } else {
    const baseRate = errorRatePercent(baseline);
    const allowedRate = baseRate + t.maxErrorRateIncreasePp;
    if (errorRate > allowedRate) {
      failures.push(`error rate ${pct(errorRate)} > ${pct(allowedRate)} allowed (baseline ${pct(baseRate)} + ${pp(t.maxErrorRateIncreasePp)})`);
    }
    if (!Number.isFinite(baseline.p95LatencyMs)) {
      notes.push("baseline has no p95 latency: latency canary rule not applied");
    } else {
      const allowedLatency = baseline.p95LatencyMs * (1 + t.maxLatencyIncreasePercent / 100);
      if (canary.p95LatencyMs > allowedLatency) {
        failures.push(
          `p95 latency ${ms(canary.p95LatencyMs)} > ${ms(allowedLatency)} allowed (baseline ${ms(baseline.p95LatencyMs)} + ${+t.maxLatencyIncreasePercent.toFixed(2)}%)`,
        );
      }
    }
  }
  return { verdict: failures.length ? "fail" : "pass", failures, notes };
}
