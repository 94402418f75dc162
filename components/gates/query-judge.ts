// Judges a stack's metric query (`gates.queries`) on what Prometheus answered. Pure, so the gate's
// `queries` check and the rollout's live analysis decide alike. A limit that is met exactly passes.
import type { MetricQuery } from "./gate-config";
import type { VectorSample } from "./promql";

export type QueryJudgement =
  | { status: "pass"; name: string; message: string }
  | { status: "fail"; name: string; message: string; value: number; limit: number; bound: "max" | "min" }
  | { status: "inconclusive"; name: string; message: string };

const fmt = (v: number) => String(+v.toPrecision(6));
const labelsText = (l: Record<string, string>) => {
  const parts = Object.entries(l).filter(([k]) => k !== "__name__").map(([k, v]) => `${k}="${v}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
};

/** Every series must lie within the bounds; an empty answer or a NaN is inconclusive, never a pass. */
export function judgeQuery(q: Pick<MetricQuery, "name" | "max" | "min">, samples: VectorSample[]): QueryJudgement {
  const limits = [q.min !== undefined ? `>= ${fmt(q.min)}` : "", q.max !== undefined ? `<= ${fmt(q.max)}` : ""].filter(Boolean).join(" and ");
  if (samples.length === 0) return { status: "inconclusive", name: q.name, message: `query ${q.name} returned no series (required ${limits}): inconclusive` };
  const bad = samples.find((s) => !Number.isFinite(s.value));
  if (bad) return { status: "inconclusive", name: q.name, message: `query ${q.name} is ${bad.value}${labelsText(bad.labels)} (required ${limits}): inconclusive` };
  for (const s of samples) {
    if (q.max !== undefined && s.value > q.max) return { status: "fail", name: q.name, value: s.value, limit: q.max, bound: "max", message: `query ${q.name} ${fmt(s.value)}${labelsText(s.labels)} > ${fmt(q.max)} allowed (max)` };
    if (q.min !== undefined && s.value < q.min) return { status: "fail", name: q.name, value: s.value, limit: q.min, bound: "min", message: `query ${q.name} ${fmt(s.value)}${labelsText(s.labels)} < ${fmt(q.min)} required (min)` };
  }
  const shown = samples.length === 1 ? fmt(samples[0].value) : `${samples.length} series, ${fmt(Math.min(...samples.map((s) => s.value)))}..${fmt(Math.max(...samples.map((s) => s.value)))}`;
  return { status: "pass", name: q.name, message: `query ${q.name} ${shown} (required ${limits})` };
}
