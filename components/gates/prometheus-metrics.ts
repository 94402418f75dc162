// Reads one color's requests, 5xx count and p95 latency over an analysis window from Prometheus,
// which scrapes every instance of the sample service (labels stack, service, color, version).
import axios from "axios";
import { MetricSample } from "./analysis";

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
