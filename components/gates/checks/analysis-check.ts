// error-rate and latency: the gate sends synthetic requests to the canary color and to the baseline
// color (through the router, by header) and looks at what each served, as cumulative counts from
// the target's metrics source, about once a second. Each look runs the sequential tests
// (sequential.ts): a confident failure stops the traffic and fails at once, and is final (not
// retried); a confident pass stops it too. Traffic runs at most `windowSeconds`; a window still
// undecided then is judged whole by the fixed-window rules (analysis.ts), as before sequential
// looks. Too few requests, or a source that cannot be read, is inconclusive, never a pass.
import * as http from "http";
import { COLOR_HEADER, Color } from "../../types";
import { analyze, AnalysisThresholds, MetricSample, resolveThresholds } from "../analysis";
import { checkCounts, ColorCounts, sampleFromCounts } from "../counts";
import { ColorSeries, loadMetricsSource, MetricsSource } from "../metrics-source";
import { AnalysisCheckName, confidenceText, judgeLook, Look, resolveSequentialSettings, TestOutcome } from "../sequential";
import { CheckResult, GateSubject } from "./types";

export interface AnalysisTiming {
  /** Time between looks. Prometheus scrapes every second: looking more often reads the same data. Defaults to 1000. */
  lookIntervalMs: number;
  /** After traffic stops at the cap, time the source gets to take in the last requests. Defaults to 2500. */
  settleMs: number;
}

const DEFAULT_TIMING: AnalysisTiming = { lookIntervalMs: 1000, settleMs: 2500 };

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Traffic {
  /** Resolves once every request is sent and answered (or stop() was called). */
  done: Promise<void>;
  /** Sends no more requests; those in flight finish on their own (each has a 5 s timeout). */
  stop(): void;
}

/** Sends `rps` requests per second to one color for at most `seconds`. */
function syntheticTraffic(url: string, host: string | undefined, color: Color, rps: number, seconds: number): Traffic {
  let stopped = false;
  let wake: (() => void) | undefined;
  const run = async () => {
    if (rps <= 0) return;
    const total = Math.round(rps * seconds);
    const started = Date.now();
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < total && !stopped; i++) {
      const wait = started + (i * 1000) / rps - Date.now();
      if (wait > 0) {
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, wait);
        });
      }
      if (stopped) break;
      inflight.push(
        new Promise<void>((resolve) => {
          const req = http.get(url, { agent, headers: { [COLOR_HEADER]: color, ...(host ? { host } : {}) }, timeout: 5000 }, (res) => {
            res.resume();
            res.on("end", resolve);
            res.on("error", () => resolve());
          });
          req.on("error", () => resolve());
          req.on("timeout", () => req.destroy());
        }),
      );
    }
    if (!stopped) await Promise.all(inflight);
  };
  return {
    done: run(),
    stop() {
      stopped = true;
      wake?.();
    },
  };
}

const describeSample = (name: string, s: MetricSample) =>
  `${name}: ${s.requests} requests, ${s.errors} errors (${s.requests ? ((s.errors / s.requests) * 100).toFixed(2) : "0.00"}%), p95 ${s.p95LatencyMs.toFixed(1)} ms`;

const describeTest = (t: TestOutcome) => `${t.check} ${t.rule === "slo" ? "SLO" : "canary"} test: ${+t.k.toFixed(2)} of ${t.n}, LLR ${t.llr.toFixed(2)}: ${t.decision}`;

const inconclusive = (checks: AnalysisCheckName[], why: string, details: string[] = []): CheckResult[] =>
  checks.map((check) => ({ check, status: "inconclusive", summary: why, details }));

/** The thresholds `analyze` takes, out of the analysis config. */
function thresholdsOf(a: GateSubject["config"]["analysis"]): AnalysisThresholds {
  const { minRequests, maxErrorRatePercent, minSuccessRatePercent, p95LatencyMs, maxErrorRateIncreasePp, maxLatencyIncreasePercent } = a;
  return { minRequests, maxErrorRatePercent, minSuccessRatePercent, p95LatencyMs, maxErrorRateIncreasePp, maxLatencyIncreasePercent };
}

/** The check results of a look that decided. */
function decided(look: Look, details: string[]): CheckResult[] {
  const failed = look.checks.filter((c) => c.status === "fail").map((c) => c.check);
  return look.checks.map((c): CheckResult => {
    const lines = [...details, ...c.tests.map(describeTest)];
    if (c.status === "fail") return { check: c.check, status: "fail", summary: c.summary, details: lines, final: true };
    if (c.status === "pass") return { check: c.check, status: "pass", summary: c.summary, details: lines };
    return { check: c.check, status: "inconclusive", summary: `not decided (${c.summary}): the analysis stopped when ${failed.join(" and ")} failed`, details: lines };
  });
}

/** The fixed-window judgement of a whole window the sequential tests left undecided. */
function judgedWhole(checks: AnalysisCheckName[], canary: ColorCounts, baseline: ColorCounts | undefined, thresholds: AnalysisThresholds, details: string[]): CheckResult[] {
  const c = sampleFromCounts(canary);
  const result = analyze(c, baseline && sampleFromCounts(baseline), thresholds);
  const lines = [...details, ...result.notes];
  if (result.verdict === "inconclusive") return inconclusive(checks, `${result.failures.join("; ")}: inconclusive`, lines);
  const isLatency = (f: string) => /latency/i.test(f);
  const errRate = c.requests ? (c.errors / c.requests) * 100 : 0;
  const failures: Record<AnalysisCheckName, string[]> = { "error-rate": result.failures.filter((f) => !isLatency(f)), latency: result.failures.filter(isLatency) };
  const passed: Record<AnalysisCheckName, string> = {
    "error-rate": `error rate ${errRate.toFixed(2)}% over ${c.requests} requests within limits (whole window)`,
    latency: `p95 ${c.p95LatencyMs.toFixed(1)} ms within limits (whole window)`,
  };
  return checks.map((check) =>
    failures[check].length
      ? { check, status: "fail", summary: `${failures[check].join("; ")} (whole window, no sequential decision)`, details: lines }
      : { check, status: "pass", summary: passed[check], details: lines },
  );
}

export async function analysisChecks(s: GateSubject, checks: AnalysisCheckName[] = ["error-rate", "latency"], timing: Partial<AnalysisTiming> = {}): Promise<CheckResult[]> {
  const a = s.config.analysis;
  const { lookIntervalMs, settleMs } = { ...DEFAULT_TIMING, ...timing };
  if (!s.metrics) return inconclusive(checks, "no metrics source configured for this target: inconclusive");
  let source: MetricsSource;
  try {
    source = loadMetricsSource(s.metrics);
    // Asked before the window: no point sending traffic that cannot be judged.
    await source.reachable();
  } catch (e) {
    return inconclusive(checks, `metrics unavailable (${describeSpec(s)}: ${(e as Error).message}): inconclusive`);
  }
  const thresholds = thresholdsOf(a);
  const lookOptions = {
    thresholds: resolveThresholds(thresholds),
    settings: resolveSequentialSettings({ confidence: a.confidence, clearlyBadErrorRatePercent: a.clearlyBadErrorRatePercent, clearlyBadSlowPercent: a.clearlyBadSlowPercent }),
    checks,
    baselineExpected: Boolean(s.baseline),
  };
  const canarySeries: ColorSeries = { stack: s.stack, service: s.service, color: s.color, version: s.version };
  const baselineSeries: ColorSeries | undefined = s.baseline && { stack: s.stack, service: s.service, ...s.baseline };

  const url = `${s.routerUrl}/`;
  const start = new Date();
  const traffic = [syntheticTraffic(url, s.routerHost, s.color, a.syntheticRps, a.windowSeconds)];
  if (s.baseline) traffic.push(syntheticTraffic(url, s.routerHost, s.baseline.color, a.syntheticRps, a.windowSeconds));
  const capAt = start.getTime() + a.windowSeconds * 1000;
  const stopTraffic = () => traffic.forEach((t) => t.stop());

  let looks = 0;
  let lastError: Error | undefined;
  let counts: { canary: ColorCounts; baseline?: ColorCounts } | undefined;
  const look = async (): Promise<Look | undefined> => {
    looks++;
    try {
      const [canary, baseline] = await Promise.all([source.countsSince(canarySeries, start), baselineSeries ? source.countsSince(baselineSeries, start) : undefined]);
      checkCounts(s.color, canary);
      if (baseline) checkCounts(`${s.baseline?.color} (baseline)`, baseline);
      counts = { canary, baseline };
      lastError = undefined;
      return judgeLook(canary, baseline, lookOptions);
    } catch (e) {
      // One unreadable look is not a verdict: the next one reads the same cumulative counts.
      lastError = e as Error;
      return undefined;
    }
  };
  const details = (when: string): string[] => {
    if (!counts) return [when];
    const lines = [describeSample(`${s.color} ${s.version}`, sampleFromCounts(counts.canary))];
    if (counts.baseline && s.baseline) lines.push(describeSample(`${s.baseline.color} ${s.baseline.version} (baseline)`, sampleFromCounts(counts.baseline)));
    return [...lines, when];
  };
  const elapsed = () => ((Date.now() - start.getTime()) / 1000).toFixed(1);

  try {
    while (Date.now() + lookIntervalMs <= capAt) {
      await sleep(lookIntervalMs);
      const l = await look();
      if (l && l.verdict !== "continue") {
        stopTraffic();
        return decided(l, details(`decided at look ${looks}, ${elapsed()} s after the traffic started (${confidenceText(lookOptions.settings.confidence)}; at most ${a.windowSeconds} s)`));
      }
    }
    await Promise.all(traffic.map((t) => t.done));
  } finally {
    stopTraffic();
  }
  // The cap: the last requests reach the source, then one more look, then the whole window.
  await sleep(settleMs);
  const last = await look();
  if (!counts || lastError) {
    return inconclusive(checks, `metrics unavailable (${source.description}: ${(lastError ?? new Error("no counts read")).message}): inconclusive`);
  }
  if (last && last.verdict !== "continue") return decided(last, details(`decided at the last look, after the ${a.windowSeconds} s window (${confidenceText(lookOptions.settings.confidence)})`));
  return judgedWhole(checks, counts.canary, counts.baseline, thresholds, details(`no sequential decision in the ${a.windowSeconds} s window: judged as one window`));
}

function describeSpec(s: GateSubject): string {
  const url = s.metrics?.options.url;
  return typeof url === "string" ? `Prometheus at ${url}` : `metrics source ${s.metrics?.factory}`;
}
