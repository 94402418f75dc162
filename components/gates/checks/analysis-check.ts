// error-rate and latency: an analysis window in which the gate sends synthetic requests to the
// candidate color and to the baseline color (through the router, by header), then judges both
// from Prometheus: absolute SLOs for the candidate, canary rules against the baseline. A window
// with too few requests, or no Prometheus, is inconclusive, and inconclusive is not a pass.
import * as http from "http";
import { COLOR_HEADER, Color } from "../../types";
import { analyze, MetricSample } from "../analysis";
import { readSample } from "../prometheus-metrics";
import { CheckResult, GateSubject } from "./types";

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

/** Sends `rps` requests per second to one color for `seconds`; resolves when done. */
async function syntheticTraffic(url: string, color: Color, rps: number, seconds: number): Promise<void> {
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
        const req = http.get(url, { agent, headers: { [COLOR_HEADER]: color }, timeout: 5000 }, (res) => {
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

export async function analysisChecks(s: GateSubject): Promise<CheckResult[]> {
  const a = s.config.analysis;
  const url = `${s.routerUrl}/`;
  const started = Date.now();
  await Promise.all([
    syntheticTraffic(url, s.color, a.syntheticRps, a.windowSeconds),
    s.baseline ? syntheticTraffic(url, s.baseline.color, a.syntheticRps, a.windowSeconds) : Promise.resolve(),
  ]);
  // Let Prometheus scrape the last requests (1 s scrape interval) before reading the window.
  await new Promise((r) => setTimeout(r, 2500));
  const window = (Date.now() - started) / 1000;
  let candidate: MetricSample;
  let baseline: MetricSample | undefined;
  try {
    candidate = await readSample(s.prometheusUrl, { stack: s.stack, service: s.service, color: s.color, version: s.version }, window);
    if (s.baseline) baseline = await readSample(s.prometheusUrl, { stack: s.stack, service: s.service, ...s.baseline }, window);
  } catch (e) {
    const why = `metrics unavailable (Prometheus at ${s.prometheusUrl}: ${(e as Error).message}): inconclusive`;
    return [
      { check: "error-rate", status: "inconclusive", summary: why, details: [] },
      { check: "latency", status: "inconclusive", summary: why, details: [] },
    ];
  }
  const { windowSeconds: _w, syntheticRps: _r, ...thresholds } = a;
  const result = analyze(candidate, baseline, thresholds);
  const details = [describeSample(`${s.color} ${s.version}`, candidate), ...(baseline && s.baseline ? [describeSample(`${s.baseline.color} ${s.baseline.version} (baseline)`, baseline)] : []), ...result.notes];
  if (result.verdict === "inconclusive") {
    const why = `${result.failures.join("; ")}: inconclusive`;
    return [
      { check: "error-rate", status: "inconclusive", summary: why, details },
      { check: "latency", status: "inconclusive", summary: why, details },
    ];
  }
  const isLatency = (f: string) => /latency/i.test(f);
  const errorFailures = result.failures.filter((f) => !isLatency(f));
  const latencyFailures = result.failures.filter(isLatency);
  const errRate = candidate.requests ? (candidate.errors / candidate.requests) * 100 : 0;
  return [
    errorFailures.length
      ? { check: "error-rate", status: "fail", summary: errorFailures.join("; "), details }
      : { check: "error-rate", status: "pass", summary: `error rate ${errRate.toFixed(2)}% over ${candidate.requests} requests within limits`, details },
    latencyFailures.length
      ? { check: "latency", status: "fail", summary: latencyFailures.join("; "), details }
      : { check: "latency", status: "pass", summary: `p95 ${candidate.p95LatencyMs.toFixed(1)} ms within limits`, details },
  ];
}
