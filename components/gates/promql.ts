// The Prometheus HTTP API calls the query, infrastructure and monitoring checks make, and the safe
// substitution of a release's values into a stack's own PromQL.
import axios from "axios";

/** One series of an instant vector: its labels and its value. */
export interface VectorSample {
  labels: Record<string, string>;
  value: number;
}

const TIMEOUT_MS = 5000;

async function api<T>(prometheusUrl: string, path: string, params: Record<string, string> = {}): Promise<T> {
  try {
    const res = await axios.get(`${prometheusUrl}${path}`, { params, timeout: TIMEOUT_MS, proxy: false });
    if (res.data?.status !== "success") throw new Error(`${path} answered status ${JSON.stringify(res.data?.status)}`);
    return res.data.data as T;
  } catch (e) {
    const err = e as Error & { code?: string; response?: { data?: { error?: string } } };
    // Prometheus explains a bad query in the body of its 400.
    throw new Error(err.response?.data?.error ?? (err.message || err.code || String(e)));
  }
}

/** An instant query. A scalar comes back as one sample without labels. Rejects when unreadable. */
export async function instantQuery(prometheusUrl: string, query: string): Promise<VectorSample[]> {
  const data = await api<{ resultType: string; result: unknown }>(prometheusUrl, "/api/v1/query", { query });
  if (data.resultType === "scalar") return [{ labels: {}, value: Number((data.result as [number, string])[1]) }];
  if (data.resultType !== "vector") throw new Error(`query returned a ${data.resultType}, not an instant vector: ${query}`);
  return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
}

export interface ScrapeTarget {
  labels: Record<string, string>;
  scrapeUrl: string;
  health: "up" | "down" | "unknown";
  lastError: string;
  lastScrape: string;
}

export async function activeTargets(prometheusUrl: string): Promise<ScrapeTarget[]> {
  const data = await api<{ activeTargets: ScrapeTarget[] }>(prometheusUrl, "/api/v1/targets", { state: "active" });
  return data.activeTargets;
}

export interface RuleGroup {
  name: string;
  file: string;
  rules: { name: string; type: string; health?: string }[];
}

export async function ruleGroups(prometheusUrl: string): Promise<RuleGroup[]> {
  const data = await api<{ groups: RuleGroup[] }>(prometheusUrl, "/api/v1/rules");
  return data.groups;
}

/** The values a stack's query may name: `$stack`, `$service`, `$color`, `$version`. */
export interface QueryVars {
  stack: string;
  service: string;
  color: string;
  version: string;
}

export const PLACEHOLDERS = ["stack", "service", "color", "version"] as const;

/**
 * Replaces `$stack`, `$service`, `$color` and `$version` (also `${name}`) with the values escaped
 * for a PromQL double-quoted string, so they belong inside quotes: `{color="$color"}`. A value can
 * then never end the string and add selectors or operators of its own. `$$` is a literal `$`.
 * Any other `$name` is refused: a typo must not silently match nothing.
 */
export function substitutePlaceholders(query: string, vars: QueryVars): string {
  return query.replace(/\$(\$|\{(\w+)\}|(\w+))/g, (whole, _m, braced: string | undefined, bare: string | undefined) => {
    if (whole === "$$") return "$";
    const name = braced ?? bare!;
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) throw new Error(`unknown placeholder $${name} (allowed: ${PLACEHOLDERS.map((p) => `$${p}`).join(", ")})`);
    return escapeLabelValue(vars[name as keyof QueryVars]);
  });
}

/** Escapes a value for the inside of a PromQL double-quoted string. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
