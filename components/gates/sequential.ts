// Sequential analysis for the health gate: instead of judging one fixed window, the gate looks at
// the canary's cumulative counts about once a second and stops as soon as the evidence is strong
// enough either way. Pure (no I/O), so the decisions can be simulated directly.
//
// Method. Each rule of the runbook becomes a binomial question about a share of requests, answered
// by Wald's sequential probability ratio test (SPRT) on the cumulative (n, k) of the window:
//   - error-rate SLO: k = 5xx responses; H0: p = p0, the SLO limit (maxErrorRatePercent, or
//     100 - minSuccessRatePercent when that is stricter), against H1: p = p1, a clearly bad rate
//     (clearlyBadErrorRatePercent).
//   - error-rate canary rule: the same test with p0 = the baseline's rate + maxErrorRateIncreasePp
//     and p1 = p0 + (p1 - SLO limit), once the baseline served minRequests.
//   - latency, SLO and canary rule: "p95 <= L" is "at most 5% of requests slower than L", so
//     k = requests slower than L, counted from the histogram buckets and read linearly inside the
//     bucket holding L, as histogram_quantile reads it (counts.ts: so this test and the
//     fixed-window p95 rule judge the same statistic; k may be fractional, the LLR is linear in
//     it), H0: q = 5% against H1: q = clearlyBadSlowPercent. L is p95LatencyMs for the SLO and the
//     baseline's p95 * (1 + maxLatencyIncreasePercent/100) for the canary rule.
// The log-likelihood ratio is LLR = k ln(p1/p0) + (n - k) ln((1 - p1)/(1 - p0)). A test rejects H0
// (confidently bad) once LLR >= ln(1/alpha) and accepts it once LLR <= ln(beta), with
// alpha = beta = 1 - confidence. These are the bounds of Ville's inequality rather than Wald's
// approximate ln((1 - beta)/alpha): under H0 the likelihood ratio is a non-negative martingale, so
// P(it ever reaches 1/alpha) <= alpha however often or irregularly the gate looks, and likewise
// P(under H1 it ever falls to beta) <= beta. So alpha bounds false failures at p = p0 (less for a
// better release) and beta bounds missed failures at p = p1 (less for a worse one), whatever the
// look schedule; a rate between p0 and p1 may go either way, or reach the window's cap.
//
// Each look judges the whole cumulative window afresh (no state between looks): the gate fails as
// soon as any test rejects, and passes once every applicable test accepts at the same look and the
// canary served minRequests. Re-judging after an earlier acceptance can only make a failure less
// likely to be missed, and the rejection bound holds over every look. The canary rules plug in the
// baseline as measured so far, a known approximation: the baseline is itself a sample.
import { ResolvedThresholds } from "./analysis";
import { ColorCounts, countSlowerThan, quantileSeconds, timedRequests } from "./counts";

export interface SequentialSettings {
  /** 1 - alpha = 1 - beta: how sure each decision must be. Defaults to 0.95. */
  confidence: number;
  /** H1 of the error-rate tests: the rate, in percent, that counts as clearly bad. Defaults to 2. */
  clearlyBadErrorRatePercent: number;
  /** H1 of the latency tests: the percent of requests slower than the limit that counts as clearly bad. Defaults to 15. */
  clearlyBadSlowPercent: number;
}

export const DEFAULT_SEQUENTIAL: SequentialSettings = { confidence: 0.95, clearlyBadErrorRatePercent: 2, clearlyBadSlowPercent: 15 };

/** A p95 limit allows this share of requests above it: H0 of the latency tests. */
export const P95_SLOW_SHARE = 0.05;

export type SprtDecision = "reject" | "accept" | "continue";

export interface SprtBounds {
  /** Reject H0 at or above this LLR: ln(1/alpha). */
  reject: number;
  /** Accept H0 at or below this LLR: ln(beta). */
  accept: number;
}

export function sprtBounds(alpha: number, beta: number): SprtBounds {
  return { reject: Math.log(1 / alpha), accept: Math.log(beta) };
}

/** The binomial log-likelihood ratio of H1 (p1) over H0 (p0) after k events in n trials; k may be fractional. */
export function binomialLlr(n: number, k: number, p0: number, p1: number): number {
  // 0 * ln(0) is 0 here: with p0 = 0 a single event is infinitely strong evidence, and no event is none.
  const term = (count: number, ratio: number) => (count > 0 ? count * Math.log(ratio) : 0);
  return term(k, p1 / p0) + term(n - k, (1 - p1) / (1 - p0));
}

export function sprtDecision(llr: number, b: SprtBounds): SprtDecision {
  return llr >= b.reject ? "reject" : llr <= b.accept ? "accept" : "continue";
}

/** Requests without a single event after which the test accepts H0: how long a clean pass takes. */
export function requestsToAccept(p0: number, p1: number, beta: number): number {
  return Math.ceil(Math.log(beta) / Math.log((1 - p1) / (1 - p0)));
}

/** Fills in the defaults and throws a message naming each bad field. */
export function resolveSequentialSettings(s: Partial<SequentialSettings> = {}): SequentialSettings {
  const r = { ...DEFAULT_SEQUENTIAL, ...Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) } as SequentialSettings;
  const problems: string[] = [];
  if (!(r.confidence >= 0.5 && r.confidence < 1)) problems.push(`confidence must be at least 0.5 and below 1 (got ${r.confidence})`);
  if (!(r.clearlyBadErrorRatePercent > 0 && r.clearlyBadErrorRatePercent < 100)) problems.push(`clearlyBadErrorRatePercent must be above 0 and below 100 (got ${r.clearlyBadErrorRatePercent})`);
  if (!(r.clearlyBadSlowPercent > P95_SLOW_SHARE * 100 && r.clearlyBadSlowPercent < 100)) {
    problems.push(`clearlyBadSlowPercent must be above ${P95_SLOW_SHARE * 100} and below 100 (got ${r.clearlyBadSlowPercent})`);
  }
  if (problems.length) throw new Error(`invalid sequential analysis settings: ${problems.join("; ")}`);
  return r;
}

/** The error-rate limit the SLOs set, in percent: the stricter of the two ways the runbook says it. */
export function errorRateLimitPercent(t: ResolvedThresholds): { percent: number; bySuccessRate: boolean } {
  // Rounded: 100 - 99.9 is 0.0999999... in floating point, which must not count as stricter than 0.1.
  const bySuccess = +(100 - t.minSuccessRatePercent).toFixed(9);
  return bySuccess < t.maxErrorRatePercent ? { percent: bySuccess, bySuccessRate: true } : { percent: t.maxErrorRatePercent, bySuccessRate: false };
}

export type AnalysisCheckName = "error-rate" | "latency";

/** One sequential test at one look. */
export interface TestOutcome {
  check: AnalysisCheckName;
  rule: "slo" | "canary";
  decision: SprtDecision;
  n: number;
  /** Events seen: errors, or requests slower than the limit (fractional inside a bucket). */
  k: number;
  llr: number;
  /** For a rejection: what was seen and what was required, e.g. "error rate 4.80% over 104 requests > 0.10% SLO (sequential test, 95% confidence)". */
  summary?: string;
}

export interface CheckLook {
  check: AnalysisCheckName;
  status: "pass" | "fail" | "continue";
  /** The tests that decided it (the rejecting ones for a fail), or all of them. */
  tests: TestOutcome[];
  /** For a pass: one line with what was seen. For continue: what it still waits for. */
  summary: string;
}

export interface Look {
  verdict: "pass" | "fail" | "continue";
  checks: CheckLook[];
}

export interface LookOptions {
  thresholds: ResolvedThresholds;
  settings: SequentialSettings;
  /** The checks judged. Defaults to both. */
  checks?: AnalysisCheckName[];
  /** Whether a baseline is being measured beside the canary: then a pass waits for the canary rules. */
  baselineExpected: boolean;
}

const pct = (v: number): string => `${v.toFixed(2)}%`;
const ms = (v: number): string => `${+v.toFixed(1)} ms`;
const pp = (v: number): string => `${v.toFixed(1)} pp`;
const share = (v: number): string => `${+(v * 100).toFixed(1)}%`;
const requests = (n: number): string => `${n} request${n === 1 ? "" : "s"}`;
export const confidenceText = (c: number): string => `sequential test, ${+(c * 100).toFixed(1)}% confidence`;

interface BinomialTest {
  check: AnalysisCheckName;
  rule: "slo" | "canary";
  n: number;
  k: number;
  p0: number;
  p1: number;
  /** The summary when the test rejects (built only then: simulations run millions of looks). */
  rejected: () => string;
}

function run(t: BinomialTest, bounds: SprtBounds): TestOutcome {
  const llr = binomialLlr(t.n, t.k, t.p0, t.p1);
  // A limit of 100% or more cannot be exceeded.
  const decision = t.p0 >= 1 ? "accept" : sprtDecision(llr, bounds);
  return { check: t.check, rule: t.rule, decision, n: t.n, k: t.k, llr, ...(decision === "reject" ? { summary: t.rejected() } : {}) };
}

/** H1 of a canary rule: the same margin above its H0 as the SLO test has, kept below 100%. */
function canaryAlternative(p0: number, margin: number): number {
  return Math.min(p0 + margin, (1 + p0) / 2);
}

/** What every test of one look shares. */
interface LookContext {
  t: ResolvedThresholds;
  s: SequentialSettings;
  /** The baseline, once it served enough for the canary rules. */
  baseline?: ColorCounts;
  how: string;
}

function errorRateTests(canary: ColorCounts, c: LookContext): BinomialTest[] {
  const { t, s, how } = c;
  const n = canary.requests;
  const rate = n > 0 ? (canary.errors / n) * 100 : 0;
  const limit = errorRateLimitPercent(t);
  const p1 = s.clearlyBadErrorRatePercent / 100;
  const tests: BinomialTest[] = [
    {
      check: "error-rate",
      rule: "slo",
      n,
      k: canary.errors,
      p0: limit.percent / 100,
      p1,
      rejected: () =>
        limit.bySuccessRate
          ? `success rate ${pct(100 - rate)} over ${requests(n)} < ${pct(t.minSuccessRatePercent)} SLO (${how})`
          : `error rate ${pct(rate)} over ${requests(n)} > ${pct(t.maxErrorRatePercent)} SLO (${how})`,
    },
  ];
  if (c.baseline) {
    const baseRate = (c.baseline.errors / c.baseline.requests) * 100;
    const allowed = baseRate + t.maxErrorRateIncreasePp;
    tests.push({
      check: "error-rate",
      rule: "canary",
      n,
      k: canary.errors,
      p0: allowed / 100,
      p1: canaryAlternative(allowed / 100, p1 - limit.percent / 100),
      rejected: () => `error rate ${pct(rate)} over ${requests(n)} > ${pct(allowed)} allowed (baseline ${pct(baseRate)} + ${pp(t.maxErrorRateIncreasePp)}) (${how})`,
    });
  }
  return tests;
}

function latencyTests(canary: ColorCounts, c: LookContext): BinomialTest[] {
  const { t, s, how } = c;
  const n = timedRequests(canary.buckets);
  const p95 = () => ms(quantileSeconds(canary.buckets, 0.95) * 1000);
  const test = (rule: "slo" | "canary", limitMs: number, limitText: string): BinomialTest => {
    const k = countSlowerThan(canary.buckets, limitMs / 1000);
    const seen = `${share(n ? k / n : 0)} of ${requests(n)} slower than ${ms(limitMs)}, at most ${share(P95_SLOW_SHARE)} allowed`;
    return { check: "latency", rule, n, k, p0: P95_SLOW_SHARE, p1: s.clearlyBadSlowPercent / 100, rejected: () => `p95 latency ${p95()} > ${limitText}: ${seen} (${how})` };
  };
  const tests = [test("slo", t.p95LatencyMs, `${ms(t.p95LatencyMs)} SLO`)];
  const baseP95 = c.baseline ? quantileSeconds(c.baseline.buckets, 0.95) * 1000 : NaN;
  if (Number.isFinite(baseP95)) {
    const allowedMs = baseP95 * (1 + t.maxLatencyIncreasePercent / 100);
    tests.push(test("canary", allowedMs, `${ms(allowedMs)} allowed (baseline ${ms(baseP95)} + ${+t.maxLatencyIncreasePercent.toFixed(2)}%)`));
  }
  return tests;
}

/** Judges one look at the cumulative counts since the analysis started. */
export function judgeLook(canary: ColorCounts, baseline: ColorCounts | undefined, o: LookOptions): Look {
  const t = o.thresholds;
  const checks = o.checks ?? ["error-rate", "latency"];
  const alpha = 1 - o.settings.confidence;
  const bounds = sprtBounds(alpha, alpha);
  const how = confidenceText(o.settings.confidence);
  const ready = o.baselineExpected && baseline && baseline.requests >= t.minRequests ? baseline : undefined;
  const c: LookContext = { t, s: o.settings, baseline: ready, how };
  // A pass waits for the canary rules whenever a baseline is being measured.
  const pending: Record<AnalysisCheckName, string[]> = { "error-rate": [], latency: [] };
  if (o.baselineExpected && !ready) {
    const why = `baseline has ${baseline?.requests ?? 0} requests, ${t.minRequests} needed for the canary rules`;
    pending["error-rate"].push(why);
    pending.latency.push(why);
  } else if (ready && timedRequests(ready.buckets) === 0) {
    pending.latency.push("baseline has no latency histogram yet, needed for the latency canary rule");
  }

  const looks: CheckLook[] = checks.map((check) => {
    const outcomes = (check === "error-rate" ? errorRateTests(canary, c) : latencyTests(canary, c)).map((x) => run(x, bounds));
    const rejected = outcomes.filter((x) => x.decision === "reject");
    if (rejected.length) return { check, status: "fail", tests: rejected, summary: rejected.map((x) => x.summary).join("; ") };
    const waiting = [...outcomes.filter((x) => x.decision === "continue").map((x) => `${x.rule === "slo" ? "SLO" : "canary"} test undecided after ${x.n} requests`), ...pending[check]];
    if (waiting.length) return { check, status: "continue", tests: outcomes, summary: waiting.join("; ") };
    const n = canary.requests;
    const passed =
      check === "error-rate"
        ? `error rate ${pct(n ? (canary.errors / n) * 100 : 0)} over ${requests(n)} within limits (${how})`
        : `p95 ${ms(quantileSeconds(canary.buckets, 0.95) * 1000)} over ${requests(timedRequests(canary.buckets))} within limits (${how})`;
    return { check, status: "pass", tests: outcomes, summary: passed };
  });

  const verdict = looks.some((l) => l.status === "fail") ? "fail" : looks.every((l) => l.status === "pass") && canary.requests >= t.minRequests ? "pass" : "continue";
  return { verdict, checks: looks };
}
