// Reads one color's requests, 5xx count and p95 latency over an analysis window from Prometheus,
// which scrapes every instance of the sample service (labels stack, service, color, version), and
// the exact counts served since a start time that the sequential analysis judges.
import axios from "axios";
import { MetricSample } from "./analysis";
import { ColorCounts, HistogramBucket } from "./counts";

export interface SeriesSelector {
  stack: string;
  service: string;
  color: string;
  version: string;
}

export function selector(s: SeriesSelector): string {
  const q = (v: string) => JSON.stringify(v);
  return `stack=${q(s.stack)},service=${q(s.service)},color=${q(s.color)},version=${q(s.version)}`;
}

/** The PromQL for a window of `windowSeconds` ending at the query time. */
export function sampleQueries(s: SeriesSelector, windowSeconds: number) {
  const sel = selector(s);
  const w = `${Math.round(windowSeconds)}s`;
  return {
    requests: `sum(increase(runbook_http_requests_total{${sel}}[${w}]))`,
    errors: `sum(increase(runbook_http_request_errors_total{${sel}}[${w}]))`,
    p95Seconds: `histogram_quantile(0.95, sum by (le) (increase(runbook_http_request_duration_seconds_bucket{${sel}}[${w}])))`,
  };
}

async function scalar(prometheusUrl: string, query: string): Promise<number> {
  const res = await axios.get(`${prometheusUrl}/api/v1/query`, { params: { query }, timeout: 5000, proxy: false });
  const result = res.data?.data?.result as { value: [number, string] }[] | undefined;
  if (!result || result.length === 0) return 0; // no series: nothing was served
  const v = Number(result[0].value[1]);
  return Number.isFinite(v) ? v : 0;
}

/** Throws when Prometheus cannot be reached: an unreadable window is inconclusive, never a pass. */
export async function readSample(prometheusUrl: string, s: SeriesSelector, windowSeconds: number): Promise<MetricSample> {
  const q = sampleQueries(s, windowSeconds);
  const [requests, errors, p95Seconds] = await Promise.all([scalar(prometheusUrl, q.requests), scalar(prometheusUrl, q.errors), scalar(prometheusUrl, q.p95Seconds)]);
  return { requests: Math.round(requests), errors: Math.round(errors), p95LatencyMs: p95Seconds * 1000 };
}

// ---- Counts since a start time ----
//
// `increase()` extrapolates to the window's edges and ignores a series' first sample, so its
// results are neither whole nor complete. The counts are read instead from the counters' raw
// samples: each series' value at `start` (an instant query at that time, i.e. the last scrape
// before it) and every sample since (a range selector ending now), summed after each series'
// increase is taken. A series absent at `start` counts from 0: prom-client creates a labelled
// series at its first request, so its first sample is all new requests. A drop is a restart of
// the instance: its counter began again at 0, so the new value is added (what `increase()` does
// too). Requests the old process served after its last scrape are lost, unseen rather than
// miscounted. Requests and errors come from the same scrape of the same process, so they stay
// consistent with each other.

export const COUNTERS = {
  requests: "runbook_http_requests_total",
  errors: "runbook_http_request_errors_total",
  buckets: "runbook_http_request_duration_seconds_bucket",
} as const;

/** One series as the query API returns it: `value` for an instant vector, `values` for a range. */
interface PromSeries {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

/** A series' increase from its value at the start through its samples since, counting a drop as a restart from 0. */
export function counterIncrease(atStart: number | undefined, since: number[]): number {
  let prev = atStart ?? 0;
  let total = 0;
  for (const v of since) {
    total += v >= prev ? v - prev : v;
    prev = v;
  }
  return total;
}

const seriesKey = (m: Record<string, string>): string =>
  JSON.stringify(Object.entries(m).filter(([k]) => k !== "__name__").sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

async function seriesAt(prometheusUrl: string, query: string, time: Date): Promise<PromSeries[]> {
  const res = await axios.get(`${prometheusUrl}/api/v1/query`, { params: { query, time: time.getTime() / 1000 }, timeout: 5000, proxy: false });
  const result = res.data?.data?.result as PromSeries[] | undefined;
  if (!Array.isArray(result)) throw new Error(`unexpected answer to ${query}: ${JSON.stringify(res.data).slice(0, 200)}`);
  return result;
}

/** Each series' increase from `start` to `now` of one counter, keyed by its labels. */
async function increases(prometheusUrl: string, name: string, sel: string, start: Date, now: Date): Promise<{ metric: Record<string, string>; increase: number }[]> {
  const elapsedMs = Math.max(1, Math.ceil(now.getTime() - start.getTime()));
  const [before, since] = await Promise.all([seriesAt(prometheusUrl, `${name}{${sel}}`, start), seriesAt(prometheusUrl, `${name}{${sel}}[${elapsedMs}ms]`, now)]);
  const atStart = new Map(before.map((x) => [seriesKey(x.metric), Number(x.value?.[1])]));
  return since.map((x) => ({
    metric: x.metric,
    increase: counterIncrease(atStart.get(seriesKey(x.metric)), (x.values ?? []).map(([, v]) => Number(v)).filter(Number.isFinite)),
  }));
}

/** Sums the buckets' increases by bound into a cumulative histogram ending at +Inf. */
export function histogramOf(series: { metric: Record<string, string>; increase: number }[]): HistogramBucket[] {
  const byLe = new Map<number, number>([[Infinity, 0]]);
  for (const x of series) {
    const le = x.metric.le === "+Inf" ? Infinity : Number(x.metric.le);
    if (!Number.isNaN(le)) byLe.set(le, (byLe.get(le) ?? 0) + x.increase);
  }
  const buckets = [...byLe].sort(([a], [b]) => a - b).map(([le, count]) => ({ le, count: Math.round(count) }));
  // A restart seen in one bucket's samples and not another's could break the order; never by more than it.
  for (let i = 1; i < buckets.length; i++) buckets[i].count = Math.max(buckets[i].count, buckets[i - 1].count);
  return buckets;
}

/** Throws when Prometheus cannot be read: unread counts are never judged. */
export async function readCountsSince(prometheusUrl: string, s: SeriesSelector, start: Date, now: Date = new Date()): Promise<ColorCounts> {
  const sel = selector(s);
  const sum = (xs: { increase: number }[]) => Math.round(xs.reduce((a, x) => a + x.increase, 0));
  const [requests, errors, buckets] = await Promise.all(
    [COUNTERS.requests, COUNTERS.errors, COUNTERS.buckets].map((name) => increases(prometheusUrl, name, sel, start, now)),
  );
  // Both counters come from the same scrapes; the bound only guards a restart seen in one and not the other.
  return { requests: sum(requests), errors: Math.min(sum(errors), sum(requests)), buckets: histogramOf(buckets) };
}
