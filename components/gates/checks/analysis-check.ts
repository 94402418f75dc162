// error-rate and latency: an analysis window in which the gate sends synthetic requests to the
// canary color and to the baseline color (through the router, by header), then judges both from
// the target's metrics source: absolute SLOs for the canary, canary rules against the baseline. A
// window with too few requests, or a source that cannot be read, is inconclusive, and inconclusive
// is not a pass.
import * as http from "http";
import { COLOR_HEADER, Color } from "../../types";
import { analyze, MetricSample } from "../analysis";
import { loadMetricsSource, MetricsSource } from "../metrics-source";
import { CheckResult, GateSubject } from "./types";

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

/** Sends `rps` requests per second to one color for `seconds`; resolves when done. */
async function syntheticTraffic(url: string, host: string | undefined, color: Color, rps: number, seconds: number): Promise<void> {
  if (rps <= 0) return;
  const total = Math.round(rps * seconds);
  const started = Date.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rps;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(
      new Promise<void>((resolve) => {
        const req = http.get(url, { agent, headers: { [COLOR_HEADER]: color, ...(host ? { host } : {}) }, timeout: 5000 }, (res) => {
          res.resume();
          res.on("end", resolve);
        });
        req.on("error", () => resolve());
        req.on("timeout", () => req.destroy());
      }),
    );
  }
  await Promise.all(inflight);
}

const describeSample = (name: string, s: MetricSample) =>
  `${name}: ${s.requests} requests, ${s.errors} errors (${s.requests ? ((s.errors / s.requests) * 100).toFixed(2) : "0.00"}%), p95 ${s.p95LatencyMs.toFixed(1)} ms`;

const inconclusive = (why: string, details: string[] = []): CheckResult[] => [
  { check: "error-rate", status: "inconclusive", summary: why, details },
  { check: "latency", status: "inconclusive", summary: why, details },
];

export async function analysisChecks(s: GateSubject): Promise<CheckResult[]> {
  const a = s.config.analysis;
  if (!s.metrics) return inconclusive("no metrics source configured for this target: inconclusive");
  let source: MetricsSource;
  try {
    source = loadMetricsSource(s.metrics);
    // Asked before the window: no point sending traffic that cannot be judged.
    await source.reachable();
  } catch (e) {
    return inconclusive(`metrics unavailable (${describeSpec(s)}: ${(e as Error).message}): inconclusive`);
  }
  const url = `${s.routerUrl}/`;
  const started = Date.now();
  await Promise.all([
    syntheticTraffic(url, s.routerHost, s.color, a.syntheticRps, a.windowSeconds),
    s.baseline ? syntheticTraffic(url, s.routerHost, s.baseline.color, a.syntheticRps, a.windowSeconds) : Promise.resolve(),
  ]);
  // Let the source take in the last requests (Prometheus scrapes every second) before reading.
  await new Promise((r) => setTimeout(r, 2500));
  const window = (Date.now() - started) / 1000;
  let canary: MetricSample;
  let baseline: MetricSample | undefined;
  try {
    canary = await source.sample({ stack: s.stack, service: s.service, color: s.color, version: s.version }, window);
    if (s.baseline) baseline = await source.sample({ stack: s.stack, service: s.service, ...s.baseline }, window);
  } catch (e) {
    return inconclusive(`metrics unavailable (${source.description}: ${(e as Error).message}): inconclusive`);
  }
  const { windowSeconds: _w, syntheticRps: _r, ...thresholds } = a;
  const result = analyze(canary, baseline, thresholds);
  const details = [describeSample(`${s.color} ${s.version}`, canary), ...(baseline && s.baseline ? [describeSample(`${s.baseline.color} ${s.baseline.version} (baseline)`, baseline)] : []), ...result.notes];
  if (result.verdict === "inconclusive") return inconclusive(`${result.failures.join("; ")}: inconclusive`, details);
  const isLatency = (f: string) => /latency/i.test(f);
  const errorFailures = result.failures.filter((f) => !isLatency(f));
  const latencyFailures = result.failures.filter(isLatency);
  const errRate = canary.requests ? (canary.errors / canary.requests) * 100 : 0;
  return [
    errorFailures.length
      ? { check: "error-rate", status: "fail", summary: errorFailures.join("; "), details }
      : { check: "error-rate", status: "pass", summary: `error rate ${errRate.toFixed(2)}% over ${canary.requests} requests within limits`, details },
    latencyFailures.length
      ? { check: "latency", status: "fail", summary: latencyFailures.join("; "), details }
      : { check: "latency", status: "pass", summary: `p95 ${canary.p95LatencyMs.toFixed(1)} ms within limits`, details },
  ];
}

function describeSpec(s: GateSubject): string {
  const url = s.metrics?.options.url;
  return typeof url === "string" ? `Prometheus at ${url}` : `metrics source ${s.metrics?.factory}`;
}
