// The dashboard's charts: request rate, error rate and p95 per color over the last minutes, as
// Prometheus range queries on the series the gates and the live analysis read (labels stack,
// service, color). By color rather than by release, so a chart stays one line through a rollout.
import axios from "axios";
import { COLORS, Color } from "../types";

export interface ColorSeries {
  /** Unix seconds. */
  t: number[];
  rps: (number | null)[];
  errorRatePercent: (number | null)[];
  p95Ms: (number | null)[];
}

export interface MetricsRange {
  from: number;
  to: number;
  stepSeconds: number;
  colors: Record<Color, ColorSeries>;
}

/** The three PromQL expressions of one color; `rateWindow` smooths over a few scrapes. */
export function rangeQueries(stack: string, service: string, color: Color, rateWindow = "10s") {
  const sel = `stack=${JSON.stringify(stack)},service=${JSON.stringify(service)},color=${JSON.stringify(color)}`;
  const requests = `sum(rate(runbook_http_requests_total{${sel}}[${rateWindow}]))`;
  const errors = `sum(rate(runbook_http_request_errors_total{${sel}}[${rateWindow}]))`;
  return {
    rps: requests,
    // No traffic is no error rate (a gap in the chart), not 0% and not a division by zero.
    errorRatePercent: `100 * (${errors} or (${requests} * 0)) / (${requests} > 0)`,
    p95Ms: `1000 * histogram_quantile(0.95, sum by (le) (rate(runbook_http_request_duration_seconds_bucket{${sel}}[${rateWindow}])))`,
  };
}

type Matrix = { values: [number, string][] }[];

/** Aligns one query's first series to the time grid; missing points are null. */
function align(grid: number[], result: Matrix): (number | null)[] {
  const byTime = new Map<number, number>();
  for (const [t, v] of result[0]?.values ?? []) {
    const n = Number(v);
    if (Number.isFinite(n)) byTime.set(Math.round(t), n);
  }
  return grid.map((t) => (byTime.has(t) ? byTime.get(t)! : null));
}

/** Reads the last `minutes` of every color. Throws when Prometheus cannot be read (the page says so). */
export async function readMetricsRange(prometheusUrl: string, stack: string, service: string, minutes = 10, stepSeconds = 2, now = Date.now()): Promise<MetricsRange> {
  const to = Math.floor(now / 1000 / stepSeconds) * stepSeconds;
  const from = to - minutes * 60;
  const grid: number[] = [];
  for (let t = from; t <= to; t += stepSeconds) grid.push(t);
  const query = async (q: string) => {
    const res = await axios.get(`${prometheusUrl.replace(/\/+$/, "")}/api/v1/query_range`, { params: { query: q, start: from, end: to, step: stepSeconds }, timeout: 5000, proxy: false });
    return align(grid, (res.data?.data?.result ?? []) as Matrix);
  };
  const colors = {} as Record<Color, ColorSeries>;
  await Promise.all(
    COLORS.map(async (c) => {
      const q = rangeQueries(stack, service, c);
      const [rps, errorRatePercent, p95Ms] = await Promise.all([query(q.rps), query(q.errorRatePercent), query(q.p95Ms)]);
      colors[c] = { t: grid, rps, errorRatePercent, p95Ms };
    }),
  );
  return { from, to, stepSeconds, colors };
}
