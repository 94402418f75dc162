// What one color served since a start time, as whole counts: requests, 5xx responses and the
// latency histogram. The sequential analysis (sequential.ts) judges these at each look; the
// fixed-window analysis at the window's cap judges the `MetricSample` they reduce to. Pure.
import { MetricSample } from "./analysis";

/** One cumulative histogram bucket: requests that took at most `le` seconds. */
export interface HistogramBucket {
  /** Upper bound in seconds; the last bucket's is Infinity (+Inf). */
  le: number;
  count: number;
}

/** What one color served since the start of the analysis. */
export interface ColorCounts {
  requests: number;
  /** Requests answered with a 5xx. */
  errors: number;
  /** Cumulative latency histogram, ascending `le`, ending with +Inf (whose count is every timed request). */
  buckets: HistogramBucket[];
}

export const NO_COUNTS: ColorCounts = { requests: 0, errors: 0, buckets: [{ le: Infinity, count: 0 }] };

/** Requests the histogram timed: the +Inf bucket's count (0 for an empty histogram). */
export function timedRequests(buckets: HistogramBucket[]): number {
  return buckets.length ? buckets[buckets.length - 1].count : 0;
}

/** Throws naming `what` when the counts cannot be true: an inconsistent read must not be judged. */
export function checkCounts(what: string, c: ColorCounts): void {
  for (const k of ["requests", "errors"] as const) {
    if (!Number.isFinite(c[k]) || c[k] < 0) throw new Error(`${what}.${k} must be a number of at least 0 (got ${c[k]})`);
  }
  if (c.errors > c.requests) throw new Error(`${what}.errors (${c.errors}) cannot exceed ${what}.requests (${c.requests})`);
  const b = c.buckets;
  if (!b.length || b[b.length - 1].le !== Infinity) throw new Error(`${what}.buckets must end with the +Inf bucket`);
  for (let i = 1; i < b.length; i++) {
    if (!(b[i].le > b[i - 1].le) || b[i].count < b[i - 1].count) throw new Error(`${what}.buckets must be cumulative with ascending bounds (at le=${b[i].le})`);
  }
}

/**
 * Requests slower than `seconds`, reading inside a bucket linearly as Prometheus's
 * histogram_quantile does. With that same reading, "p95 <= L" and "at most 5% slower than L" are
 * one statement, so the sequential latency test and the fixed-window p95 rule judge the same thing.
 * Fractional when `seconds` falls inside a bucket. Beyond the largest finite bound nothing is
 * known, so the +Inf bucket counts as slower (the cautious reading).
 */
export function countSlowerThan(buckets: HistogramBucket[], seconds: number): number {
  const total = timedRequests(buckets);
  let below = 0;
  let lower = 0;
  for (const b of buckets) {
    if (b.le === Infinity) break;
    if (seconds >= b.le) {
      below = b.count;
      lower = b.le;
      continue;
    }
    below += ((b.count - below) * (seconds - lower)) / (b.le - lower);
    return Math.max(0, total - below);
  }
  return Math.max(0, total - below);
}

/**
 * The q-quantile in seconds, as histogram_quantile computes it: linear inside the bucket that holds
 * the rank, the largest finite bound when the rank is in +Inf, NaN without requests.
 */
export function quantileSeconds(buckets: HistogramBucket[], q: number): number {
  const total = timedRequests(buckets);
  if (total <= 0) return NaN;
  const rank = q * total;
  let prevCount = 0;
  let prevLe = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return prevLe;
      const inBucket = b.count - prevCount;
      return inBucket > 0 ? prevLe + ((b.le - prevLe) * (rank - prevCount)) / inBucket : b.le;
    }
    prevCount = b.count;
    prevLe = b.le;
  }
  return prevLe;
}

/** The counts as the fixed-window analysis reads them: requests, errors and p95 in milliseconds. */
export function sampleFromCounts(c: ColorCounts): MetricSample {
  const p95 = quantileSeconds(c.buckets, 0.95);
  // No timed request while requests were served is an unknown latency (inconclusive), not 0 ms.
  return { requests: c.requests, errors: c.errors, p95LatencyMs: Number.isNaN(p95) ? (c.requests > 0 ? NaN : 0) : p95 * 1000 };
}
