// Unit tests of the gate's sequential analysis, all pure: the histogram reading
// (components/gates/counts.ts), the SPRT math and the verdict of one look
// (components/gates/sequential.ts), and the config keys that tune it. Expected values are worked
// out by hand from the formulas in sequential.ts's header, not read back from the code.
import * as assert from "node:assert/strict";
import { DEFAULT_THRESHOLDS } from "../../components/gates/analysis";
import { ColorCounts, HistogramBucket, checkCounts, countSlowerThan, quantileSeconds, sampleFromCounts } from "../../components/gates/counts";
import { gateConfigSchema } from "../../components/gates/gate-config";
import {
  DEFAULT_SEQUENTIAL,
  binomialLlr,
  errorRateLimitPercent,
  judgeLook,
  LookOptions,
  requestsToAccept,
  resolveSequentialSettings,
  sprtBounds,
  sprtDecision,
} from "../../components/gates/sequential";
import { StackConfigError, nestConfig, parseStackConfig } from "../../components/config/stack-config";

const B: HistogramBucket[] = [
  { le: 0.1, count: 50 },
  { le: 0.25, count: 90 },
  { le: 0.5, count: 100 },
  { le: Infinity, count: 100 },
];

describe("gate counts: the latency histogram read as histogram_quantile reads it", () => {
  it("interpolates linearly inside a bucket, counting what lies above the bound", () => {
    // 200 ms is two thirds into (100, 250]: 50 + 40 * 2/3 at or below it.
    assert.ok(Math.abs(countSlowerThan(B, 0.2) - (100 - (50 + (40 * 2) / 3))) < 1e-9);
    assert.equal(countSlowerThan(B, 0.05), 75);
    assert.equal(countSlowerThan(B, 0.25), 10);
    assert.equal(countSlowerThan(B, 1), 0);
  });

  it("counts the +Inf bucket as slower beyond the largest finite bound (nothing is known there)", () => {
    const tail = [...B.slice(0, 3), { le: Infinity, count: 104 }];
    assert.equal(countSlowerThan(tail, 5), 4);
  });

  it("takes quantiles the way histogram_quantile does", () => {
    assert.equal(quantileSeconds(B, 0.95), 0.375);
    assert.equal(quantileSeconds(B, 0.5), 0.1);
    assert.ok(Number.isNaN(quantileSeconds([{ le: Infinity, count: 0 }], 0.95)));
    // A rank in +Inf is the largest finite bound.
    assert.equal(quantileSeconds([{ le: 0.1, count: 1 }, { le: Infinity, count: 10 }], 0.95), 0.1);
  });

  it("says p95 <= L exactly when at most 5% of requests are slower than L", () => {
    for (const limit of [0.15, 0.3, 0.37, 0.375, 0.38, 0.45]) {
      assert.equal(quantileSeconds(B, 0.95) <= limit, countSlowerThan(B, limit) <= 5 + 1e-9, `L = ${limit}`);
    }
  });

  it("reduces counts to the fixed-window sample, and refuses counts that cannot be true", () => {
    assert.deepEqual(sampleFromCounts({ requests: 100, errors: 3, buckets: B }), { requests: 100, errors: 3, p95LatencyMs: 375 });
    assert.deepEqual(sampleFromCounts({ requests: 0, errors: 0, buckets: [{ le: Infinity, count: 0 }] }), { requests: 0, errors: 0, p95LatencyMs: 0 });
    assert.ok(Number.isNaN(sampleFromCounts({ requests: 5, errors: 0, buckets: [{ le: Infinity, count: 0 }] }).p95LatencyMs));
    assert.throws(() => checkCounts("canary", { requests: 1, errors: 2, buckets: B }), { message: "canary.errors (2) cannot exceed canary.requests (1)" });
    assert.throws(() => checkCounts("canary", { requests: 1, errors: 0, buckets: B.slice(0, 2) }), { message: "canary.buckets must end with the +Inf bucket" });
    assert.throws(() => checkCounts("canary", { requests: 1, errors: 0, buckets: [B[1], B[0], B[3]] }), { message: "canary.buckets must be cumulative with ascending bounds (at le=0.1)" });
  });
});

describe("gate SPRT math", () => {
  const bounds = sprtBounds(0.05, 0.05);
  const llr = (n: number, k: number) => binomialLlr(n, k, 0.001, 0.02);

  it("rejects at ln(1/alpha) and accepts at ln(beta) (Ville's bounds)", () => {
    assert.ok(Math.abs(bounds.reject - Math.log(20)) < 1e-12);
    assert.ok(Math.abs(bounds.accept + Math.log(20)) < 1e-12);
    const b = sprtBounds(0.01, 0.1);
    assert.ok(Math.abs(b.reject - Math.log(100)) < 1e-12 && Math.abs(b.accept - Math.log(0.1)) < 1e-12);
  });

  it("computes the binomial log-likelihood ratio", () => {
    // 5 errors in 100: 5 ln(0.02/0.001) + 95 ln(0.98/0.999).
    assert.ok(Math.abs(llr(100, 5) - (5 * Math.log(20) + 95 * Math.log(0.98 / 0.999))) < 1e-9);
    assert.equal(llr(0, 0), 0);
    // A fractional count (slow requests read inside a bucket) weighs in proportion.
    assert.ok(Math.abs(binomialLlr(10, 0.5, 0.05, 0.15) - (0.5 * Math.log(3) + 9.5 * Math.log(0.85 / 0.95))) < 1e-9);
  });

  it("decides at the expected (n, k) points for p0 = 0.1%, p1 = 2%, 95% confidence", () => {
    // Each clean request adds ln(0.98/0.999) = -0.019202; each error ln 20 = 2.995732.
    const points: [number, number, string][] = [
      [156, 0, "continue"],
      [157, 0, "accept"],
      [1, 1, "reject"],
      [2, 1, "continue"],
      [158, 2, "reject"],
      [159, 2, "continue"],
      [104, 5, "reject"],
      [313, 1, "continue"],
      [314, 1, "accept"],
    ];
    for (const [n, k, decision] of points) assert.equal(sprtDecision(llr(n, k), bounds), decision, `n=${n} k=${k} LLR=${llr(n, k)}`);
    assert.equal(requestsToAccept(0.001, 0.02, 0.05), 157);
    assert.equal(requestsToAccept(0.05, 0.15, 0.05), 27);
  });

  it("handles a zero limit: one error is decisive, and no error is evidence for H0", () => {
    assert.equal(binomialLlr(10, 1, 0, 0.02), Infinity);
    assert.ok(Math.abs(binomialLlr(10, 0, 0, 0.02) - 10 * Math.log(0.98)) < 1e-12);
  });

  it("refuses settings outside their ranges, naming each", () => {
    assert.deepEqual(resolveSequentialSettings(), DEFAULT_SEQUENTIAL);
    assert.throws(() => resolveSequentialSettings({ confidence: 1, clearlyBadSlowPercent: 5 }), {
      message: "invalid sequential analysis settings: confidence must be at least 0.5 and below 1 (got 1); clearlyBadSlowPercent must be above 5 and below 100 (got 5)",
    });
  });

  it("takes the stricter of the two error SLOs, without floating-point noise", () => {
    assert.deepEqual(errorRateLimitPercent(DEFAULT_THRESHOLDS), { percent: 0.1, bySuccessRate: false });
    assert.deepEqual(errorRateLimitPercent({ ...DEFAULT_THRESHOLDS, maxErrorRatePercent: 1 }), { percent: 0.1, bySuccessRate: true });
  });
});

describe("gate sequential look", () => {
  const fastBuckets = (n: number): HistogramBucket[] => [
    { le: 0.005, count: 0 },
    { le: 0.0075, count: n },
    { le: 0.01, count: n },
    { le: 0.1, count: n },
    { le: 0.25, count: n },
    { le: Infinity, count: n },
  ];
  const counts = (requests: number, errors: number, buckets = fastBuckets(requests)): ColorCounts => ({ requests, errors, buckets });
  const options = (o: Partial<LookOptions> = {}): LookOptions => ({ thresholds: DEFAULT_THRESHOLDS, settings: DEFAULT_SEQUENTIAL, baselineExpected: false, ...o });

  it("fails a 5%-error canary at once, saying what was seen and required", () => {
    const look = judgeLook(counts(104, 5), undefined, options());
    assert.equal(look.verdict, "fail");
    assert.deepEqual(
      look.checks.map((c) => [c.check, c.status, c.summary]),
      [
        ["error-rate", "fail", "error rate 4.81% over 104 requests > 0.10% SLO (sequential test, 95% confidence)"],
        ["latency", "pass", "p95 7.4 ms over 104 requests within limits (sequential test, 95% confidence)"],
      ],
    );
  });

  it("names the success-rate SLO when it is the stricter one", () => {
    const look = judgeLook(counts(104, 5), undefined, options({ thresholds: { ...DEFAULT_THRESHOLDS, maxErrorRatePercent: 1 }, checks: ["error-rate"] }));
    assert.equal(look.checks[0].summary, "success rate 95.19% over 104 requests < 99.90% SLO (sequential test, 95% confidence)");
  });

  it("passes a clean canary once the error test accepts, not before", () => {
    assert.equal(judgeLook(counts(156, 0), undefined, options()).verdict, "continue");
    const look = judgeLook(counts(157, 0), undefined, options());
    assert.equal(look.verdict, "pass");
    assert.equal(look.checks[0].summary, "error rate 0.00% over 157 requests within limits (sequential test, 95% confidence)");
  });

  it("waits for minRequests even when every test has accepted", () => {
    const o = options({ settings: { ...DEFAULT_SEQUENTIAL, clearlyBadErrorRatePercent: 50 }, checks: ["error-rate"] });
    // With H1 at 50%, five clean requests already accept: 5 ln(0.5/0.999) < ln(0.05).
    const early = judgeLook(counts(5, 0), undefined, o);
    assert.deepEqual([early.checks[0].status, early.verdict], ["pass", "continue"]);
    assert.equal(judgeLook(counts(49, 0), undefined, o).verdict, "continue");
    assert.equal(judgeLook(counts(50, 0), undefined, o).verdict, "pass");
  });

  it("waits for the baseline's minRequests before passing, and then applies the canary rules", () => {
    const waiting = judgeLook(counts(300, 0), counts(40, 0), options({ baselineExpected: true }));
    assert.equal(waiting.verdict, "continue");
    assert.equal(waiting.checks[0].summary, "baseline has 40 requests, 50 needed for the canary rules");
    const ready = judgeLook(counts(300, 0), counts(300, 0), options({ baselineExpected: true }));
    assert.equal(ready.verdict, "pass");
    assert.deepEqual(ready.checks.map((c) => c.tests.map((x) => x.rule)), [["slo", "canary"], ["slo", "canary"]]);
  });

  it("fails the canary error rule against an erring baseline", () => {
    const t = { ...DEFAULT_THRESHOLDS, maxErrorRatePercent: 10, minSuccessRatePercent: 90 };
    const settings = { ...DEFAULT_SEQUENTIAL, clearlyBadErrorRatePercent: 20 };
    const look = judgeLook(counts(1000, 48), counts(1000, 1), options({ thresholds: t, settings, baselineExpected: true, checks: ["error-rate"] }));
    assert.equal(look.verdict, "fail");
    assert.equal(look.checks[0].summary, "error rate 4.80% over 1000 requests > 1.10% allowed (baseline 0.10% + 1.0 pp) (sequential test, 95% confidence)");
  });

  it("fails the latency SLO when too many requests are slower than the limit", () => {
    // 30 of 100 between 250 and 500 ms: all slower than 200 ms.
    const slow: HistogramBucket[] = [{ le: 0.1, count: 70 }, { le: 0.25, count: 70 }, { le: 0.5, count: 100 }, { le: Infinity, count: 100 }];
    const look = judgeLook(counts(100, 0, slow), undefined, options({ checks: ["latency"] }));
    assert.equal(look.checks[0].summary, "p95 latency 458.3 ms > 200 ms SLO: 30% of 100 requests slower than 200 ms, at most 5% allowed (sequential test, 95% confidence)");
  });

  it("fails the latency canary rule against a faster baseline", () => {
    // Baseline: all within (5, 7.5] ms, p95 7.375 ms, so 8.1 ms allowed; the canary's are all in (10, 100].
    const slower: HistogramBucket[] = [{ le: 0.005, count: 0 }, { le: 0.0075, count: 0 }, { le: 0.01, count: 0 }, { le: 0.1, count: 60 }, { le: Infinity, count: 60 }];
    const look = judgeLook(counts(60, 0, slower), counts(60, 0), options({ baselineExpected: true, checks: ["latency"] }));
    assert.equal(look.verdict, "fail");
    assert.equal(
      look.checks[0].summary,
      "p95 latency 95.5 ms > 8.1 ms allowed (baseline 7.4 ms + 10%): 100% of 60 requests slower than 8.1 ms, at most 5% allowed (sequential test, 95% confidence)",
    );
  });

  it("judges only the checks asked for", () => {
    const look = judgeLook(counts(104, 5), undefined, options({ checks: ["latency"] }));
    assert.deepEqual(look.checks.map((c) => [c.check, c.status]), [["latency", "pass"]]);
    assert.equal(look.verdict, "pass");
  });

  it("says in the message what confidence was asked for", () => {
    const look = judgeLook(counts(104, 5), undefined, options({ settings: { ...DEFAULT_SEQUENTIAL, confidence: 0.99 }, checks: ["error-rate"] }));
    assert.match(look.checks[0].summary, /\(sequential test, 99% confidence\)$/);
  });
});

describe("gate sequential config keys", () => {
  const parse = (gates: object) => parseStackConfig(nestConfig({ "deployment-runbook:blue": '{"version":"v1.0.0"}', "deployment-runbook:gates": JSON.stringify(gates) }));
  const problems = (gates: object): string[] => {
    try {
      parse(gates);
    } catch (e) {
      assert.ok(e instanceof StackConfigError);
      return e.problems;
    }
    return assert.fail("expected the config to be refused");
  };

  it("defaults: 95% confidence, 2% clearly bad, 15% clearly slow, a 15 s window at most", () => {
    const a = gateConfigSchema.parse({}).analysis;
    assert.deepEqual([a.confidence, a.clearlyBadErrorRatePercent, a.clearlyBadSlowPercent, a.windowSeconds], [0.95, 2, 15, 15]);
    assert.deepEqual(DEFAULT_SEQUENTIAL, { confidence: 0.95, clearlyBadErrorRatePercent: 2, clearlyBadSlowPercent: 15 });
    assert.equal(parse({ analysis: { confidence: "0.99" } }).gates.analysis.confidence, 0.99);
  });

  it("refuses values out of range, naming the key and the range", () => {
    assert.deepEqual(problems({ analysis: { confidence: 0.5 } }), ["deployment-runbook:gates.analysis.confidence: must be a number from 0.8 to 0.999 (got 0.5)"]);
    assert.deepEqual(problems({ analysis: { clearlyBadSlowPercent: 5 } }), ["deployment-runbook:gates.analysis.clearlyBadSlowPercent: must be a number from 6 to 100% (got 5)"]);
  });

  it("refuses a clearly-bad rate at or below the error-rate SLO", () => {
    // The key named is the one that was set: a raised SLO, or a lowered clearly-bad rate.
    assert.deepEqual(problems({ analysis: { maxErrorRatePercent: 5, minSuccessRatePercent: 95 } }), [
      "deployment-runbook:gates.analysis.maxErrorRatePercent: must be below gates.analysis.clearlyBadErrorRatePercent (2%, the error rate the sequential test weighs the SLO against): raise that too (got 5)",
    ]);
    assert.deepEqual(problems({ analysis: { maxErrorRatePercent: 5, minSuccessRatePercent: 97.5 } }), [
      "deployment-runbook:gates.analysis.minSuccessRatePercent: must be above 98% (100 - gates.analysis.clearlyBadErrorRatePercent, the error rate the sequential test weighs the SLO against): raise that rate too (got 97.5)",
    ]);
    assert.deepEqual(problems({ analysis: { clearlyBadErrorRatePercent: 0.1 } }), [
      "deployment-runbook:gates.analysis.clearlyBadErrorRatePercent: must be above the error-rate SLO limit, 0.1% (maxErrorRatePercent) (got 0.1)",
    ]);
    assert.equal(parse({ analysis: { maxErrorRatePercent: 5, minSuccessRatePercent: 95, clearlyBadErrorRatePercent: 10 } }).gates.analysis.clearlyBadErrorRatePercent, 10);
  });
});
