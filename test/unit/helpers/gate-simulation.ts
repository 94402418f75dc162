// Simulated gate windows for the sequential analysis's tests: synthetic traffic at a fixed rate,
// errors and latencies drawn from a seeded PRNG, cumulative counts read at looks about a second
// apart, a little behind (Prometheus scrapes every second), judged by the gate's own pure code
// (components/gates/sequential.ts, and analysis.ts at the cap). Deterministic for a seed.
import { analyze, DEFAULT_THRESHOLDS, ResolvedThresholds } from "../../../components/gates/analysis";
import { ColorCounts, sampleFromCounts } from "../../../components/gates/counts";
import { AnalysisCheckName, DEFAULT_SEQUENTIAL, judgeLook, SequentialSettings } from "../../../components/gates/sequential";

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Binomial(n, p) draw by inversion: one uniform per draw, a few steps for the small p of errors. */
export function binomial(random: () => number, n: number, p: number): number {
  if (p <= 0) return 0;
  if (p >= 1) return n;
  const u = random();
  let pmf = Math.pow(1 - p, n);
  let cdf = pmf;
  let k = 0;
  while (u > cdf && k < n) {
    pmf *= ((n - k) / (k + 1)) * (p / (1 - p));
    k++;
    cdf += pmf;
  }
  return k;
}

/** The sample service's histogram bounds (sample-service/metrics.ts), in seconds. */
export const BOUNDS = [0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2];

/** One color's behaviour: its error rate and a latency draw in seconds. */
export interface ColorModel {
  errorRate: number;
  latency: (random: () => number) => number;
}

/** About what the sample service shows with its default 5 ms of work: 5-7 ms, a thin tail to 12 ms. */
export const normalLatency = (random: () => number): number => (random() < 0.02 ? 0.0075 + random() * 0.0045 : 0.0051 + random() * 0.0019);

export interface WindowOptions {
  canary: ColorModel;
  /** Defaults to none (absolute SLOs only). */
  baseline?: ColorModel;
  /** Defaults to 30. */
  rps?: number;
  /** The cap. Defaults to 15. */
  windowSeconds?: number;
  /** How far behind the traffic each look reads. Defaults to 1. */
  lagSeconds?: number;
  checks?: AnalysisCheckName[];
  thresholds?: ResolvedThresholds;
  settings?: SequentialSettings;
}

export interface WindowOutcome {
  verdict: "pass" | "fail" | "inconclusive";
  /** "sequential": a look decided (a fail is then final); "window": the cap's fixed-window rules did. */
  by: "sequential" | "window";
  /** Seconds of traffic when decided (the cap for "window"). */
  seconds: number;
}

/** Running cumulative counts of one color, with a snapshot per second. */
class Tally {
  requests = 0;
  errors = 0;
  perBucket = new Array<number>(BOUNDS.length + 1).fill(0);

  /** `requests` requests with `errors` errors, untimed (for simulations of the error-rate check alone). */
  addUntimed(requests: number, errors: number): void {
    this.requests += requests;
    this.errors += errors;
    this.perBucket[BOUNDS.length] += requests;
  }

  add(error: boolean, seconds: number): void {
    this.requests++;
    if (error) this.errors++;
    let i = 0;
    while (i < BOUNDS.length && seconds > BOUNDS[i]) i++;
    this.perBucket[i]++;
  }

  snapshot(): ColorCounts {
    let cum = 0;
    const buckets = this.perBucket.map((c, i) => ({ le: i < BOUNDS.length ? BOUNDS[i] : Infinity, count: (cum += c) }));
    return { requests: this.requests, errors: this.errors, buckets };
  }
}

/** One gate window, looks once a second, the cap's fixed-window judgement if none decides. */
export function simulateWindow(random: () => number, o: WindowOptions): WindowOutcome {
  const rps = o.rps ?? 30;
  const cap = o.windowSeconds ?? 15;
  const lag = o.lagSeconds ?? 1;
  const thresholds = o.thresholds ?? DEFAULT_THRESHOLDS;
  const lookOptions = { thresholds, settings: o.settings ?? DEFAULT_SEQUENTIAL, checks: o.checks, baselineExpected: Boolean(o.baseline) };
  const canary = new Tally();
  const baseline = o.baseline ? new Tally() : undefined;
  const snapshots: { canary: ColorCounts; baseline?: ColorCounts }[] = [{ canary: canary.snapshot(), baseline: baseline?.snapshot() }];
  const needLatency = !o.checks || o.checks.includes("latency");
  const serve = (t: Tally, m: ColorModel) => {
    if (!needLatency) return t.addUntimed(rps, binomial(random, rps, m.errorRate));
    for (let i = 0; i < rps; i++) t.add(random() < m.errorRate, m.latency(random));
  };
  for (let second = 1; second <= cap; second++) {
    serve(canary, o.canary);
    if (baseline && o.baseline) serve(baseline, o.baseline);
    snapshots.push({ canary: canary.snapshot(), baseline: baseline?.snapshot() });
    const seen = snapshots[Math.max(0, second - lag)];
    const look = judgeLook(seen.canary, seen.baseline, lookOptions);
    if (look.verdict !== "continue") return { verdict: look.verdict, by: "sequential", seconds: second };
  }
  // After the settle time every request is in: one last look, then the whole window.
  const all = snapshots[snapshots.length - 1];
  const last = judgeLook(all.canary, all.baseline, lookOptions);
  if (last.verdict !== "continue") return { verdict: last.verdict, by: "sequential", seconds: cap };
  const whole = analyze(sampleFromCounts(all.canary), all.baseline && sampleFromCounts(all.baseline), thresholds);
  return { verdict: whole.verdict, by: "window", seconds: cap };
}

export interface Rates {
  windows: number;
  /** Share failed by a confident (final) sequential decision. */
  sequentialFail: number;
  /** Share failed in all, the cap's fixed-window failures included. */
  fail: number;
  /** Share passed (sequentially or at the cap). */
  pass: number;
  /** Median and 95th percentile seconds of traffic to a sequential fail / pass (NaN without any). */
  medianFailSeconds: number;
  medianPassSeconds: number;
  p95FailSeconds: number;
  p95PassSeconds: number;
}

const quantile = (xs: number[], q: number): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))];
};

/** Runs `windows` windows from one seed and summarizes them. */
export function simulateRates(seed: number, windows: number, o: WindowOptions): Rates {
  const random = mulberry32(seed);
  const outcomes = Array.from({ length: windows }, () => simulateWindow(random, o));
  const share = (f: (w: WindowOutcome) => boolean) => outcomes.filter(f).length / windows;
  const times = (verdict: "pass" | "fail") => outcomes.filter((w) => w.verdict === verdict && w.by === "sequential").map((w) => w.seconds);
  const [failTimes, passTimes] = [times("fail"), times("pass")];
  return {
    windows,
    sequentialFail: share((w) => w.verdict === "fail" && w.by === "sequential"),
    fail: share((w) => w.verdict === "fail"),
    pass: share((w) => w.verdict === "pass"),
    medianFailSeconds: quantile(failTimes, 0.5),
    medianPassSeconds: quantile(passTimes, 0.5),
    p95FailSeconds: quantile(failTimes, 0.95),
    p95PassSeconds: quantile(passTimes, 0.95),
  };
}
