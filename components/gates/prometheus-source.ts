// The Prometheus metrics source (local and kubernetes targets): the `MetricsSource` face of
// prometheus-metrics.ts, which holds the PromQL and the reading of one sample and of the counts.
import axios from "axios";
import { MetricsSource, MetricsSourceFactory } from "./metrics-source";
import { readCountsSince, readSample } from "./prometheus-metrics";
import { instantQuery } from "./promql";

export interface PrometheusSourceOptions {
  /** The Prometheus server's base URL, e.g. "http://127.0.0.1:9090". Required: no default. */
  url: string;
}

// Prometheus answers /-/ready from memory; a server that takes longer is as good as unreachable
// for a gate that must decide in seconds.
const READY_TIMEOUT_MS = 2000;

/** Checks options that come from the state as plain data; throws naming the bad option. */
export function parsePrometheusSourceOptions(raw: unknown): PrometheusSourceOptions {
  const fail = (why: string): never => {
    throw new Error(`prometheusSource options: ${why}`);
  };
  if (typeof raw !== "object" || raw === null) return fail(`must be an object (got ${JSON.stringify(raw)})`);
  const o = raw as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => k !== "url");
  if (unknown.length) fail(`unknown option ${unknown.join(", ")} (allowed: url)`);
  let url: URL | undefined;
  try {
    url = typeof o.url === "string" ? new URL(o.url) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) fail(`url must be an http(s) URL (got ${JSON.stringify(o.url)})`);
  // Paths are appended to it (`/api/v1/query`), so a trailing slash would double.
  return { url: (o.url as string).replace(/\/+$/, "") };
}

export const prometheusSource: MetricsSourceFactory = (options) => {
  const { url } = parsePrometheusSourceOptions(options);
  const source: MetricsSource = {
    description: `Prometheus at ${url}`,
    async reachable() {
      try {
        await axios.get(`${url}/-/ready`, { timeout: READY_TIMEOUT_MS, proxy: false });
      } catch (e) {
        // A refused connection to a name with two addresses comes back with an empty message.
        const err = e as Error & { code?: string };
        throw new Error(err.message || err.code || String(e));
      }
    },
    sample: (series, windowSeconds) => readSample(url, series, windowSeconds),
    countsSince: (series, start) => readCountsSince(url, series, start),
    instantQuery: (promql) => instantQuery(url, promql),
  };
  return source;
};
