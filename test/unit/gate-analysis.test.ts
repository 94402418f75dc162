// Unit tests of the gates' analysis (components/gates/analysis.ts) and of the CloudWatch source's
// request building and result parsing (components/targets/aws/cloudwatch-source.ts). Both are
// pure, so no mocks: tables of inputs and the exact verdicts and messages an operator would read.
import * as assert from "node:assert/strict";
import { analyze, DEFAULT_THRESHOLDS, MetricSample, resolveThresholds } from "../../components/gates/analysis";
import {
  ALB_NAMESPACE,
  buildMetricDataQueries,
  GetMetricDataOutput,
  samplesFromMetricData,
} from "../../components/targets/aws/cloudwatch-source";

const sample = (requests: number, errors: number, p95LatencyMs: number): MetricSample => ({ requests, errors, p95LatencyMs });

describe("gate analysis", () => {
  it("has the documented default thresholds", () => {
    assert.deepEqual(DEFAULT_THRESHOLDS, {
      maxErrorRatePercent: 0.1,
      minSuccessRatePercent: 99.9,
      p95LatencyMs: 200,
      maxErrorRateIncreasePp: 1.0,
      maxLatencyIncreasePercent: 10,
      minRequests: 50,
    });
  });

  const cases: {
    name: string;
    canary: MetricSample;
    baseline?: MetricSample;
    thresholds?: Parameters<typeof analyze>[2];
    verdict: "pass" | "fail" | "inconclusive";
    failures: string[];
    notes?: string[];
  }[] = [
    {
      name: "passes a healthy canary against a healthy baseline",
      canary: sample(1000, 0, 150),
      baseline: sample(9000, 0, 140),
      verdict: "pass",
      failures: [],
      notes: [],
    },
    {
      name: "passes a canary exactly at every limit (limits are inclusive)",
      canary: sample(1000, 1, 200),
      baseline: sample(1000, 0, 200),
      verdict: "pass",
      failures: [],
    },
    {
      name: "fails the absolute error-rate and success-rate SLOs without a baseline",
      canary: sample(1000, 5, 120),
      verdict: "fail",
      failures: ["error rate 0.50% > 0.10% SLO", "success rate 99.50% < 99.90% SLO"],
      notes: ["no baseline: canary rules not applied, absolute SLOs only"],
    },
    {
      name: "fails the success-rate SLO alone when only that one is strict",
      canary: sample(1000, 5, 120),
      thresholds: { maxErrorRatePercent: 1, minSuccessRatePercent: 99.9 },
      verdict: "fail",
      failures: ["success rate 99.50% < 99.90% SLO"],
    },
    {
      name: "fails the absolute p95 latency SLO",
      canary: sample(1000, 0, 250),
      verdict: "fail",
      failures: ["p95 latency 250 ms > 200 ms SLO"],
    },
    {
      name: "fails the canary error-rate rule against the baseline",
      canary: sample(1000, 48, 100),
      baseline: sample(1000, 1, 100),
      thresholds: { maxErrorRatePercent: 10, minSuccessRatePercent: 90 },
      verdict: "fail",
      failures: ["error rate 4.80% > 1.10% allowed (baseline 0.10% + 1.0 pp)"],
    },
    {
      name: "fails the canary latency rule against the baseline",
      canary: sample(1000, 0, 320),
      baseline: sample(1000, 0, 200),
      thresholds: { p95LatencyMs: 1000 },
      verdict: "fail",
      failures: ["p95 latency 320 ms > 220 ms allowed (baseline 200 ms + 10%)"],
    },
    {
      name: "reports every broken rule at once",
      canary: sample(1000, 48, 320),
      baseline: sample(1000, 1, 200),
      verdict: "fail",
      failures: [
        "error rate 4.80% > 0.10% SLO",
        "success rate 95.20% < 99.90% SLO",
        "p95 latency 320 ms > 200 ms SLO",
        "error rate 4.80% > 1.10% allowed (baseline 0.10% + 1.0 pp)",
        "p95 latency 320 ms > 220 ms allowed (baseline 200 ms + 10%)",
      ],
    },
    {
      name: "is inconclusive with too few canary requests, whatever else the numbers say",
      canary: sample(12, 12, 5000),
      baseline: sample(1000, 0, 100),
      verdict: "inconclusive",
      failures: ["only 12 requests in the analysis window, at least 50 needed"],
    },
    {
      name: "is inconclusive without a p95 latency",
      canary: sample(100, 0, NaN),
      verdict: "inconclusive",
      failures: ["no p95 latency in the analysis window"],
    },
    {
      name: "skips the canary rules when the baseline served too few requests, keeping the SLOs",
      canary: sample(1000, 0, 190),
      baseline: sample(10, 0, 50),
      verdict: "pass",
      failures: [],
      notes: ["baseline served only 10 requests (at least 50 needed): canary rules not applied, absolute SLOs only"],
    },
    {
      name: "uses the tuned minimum request count",
      canary: sample(30, 0, 10),
      thresholds: { minRequests: 20 },
      verdict: "pass",
      failures: [],
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const result = analyze(c.canary, c.baseline, c.thresholds);
      assert.equal(result.verdict, c.verdict);
      assert.deepEqual(result.failures, c.failures);
      if (c.notes) assert.deepEqual(result.notes, c.notes);
    });
  }

  it("rejects bad thresholds naming the field", () => {
    assert.throws(() => resolveThresholds({ maxErrorRatePercent: -1 }), {
      message: "invalid analysis thresholds: maxErrorRatePercent must be a number of at least 0 (got -1)",
    });
    assert.throws(() => resolveThresholds({ minSuccessRatePercent: 120 }), {
      message: "invalid analysis thresholds: minSuccessRatePercent must be at most 100 (got 120)",
    });
    assert.throws(() => resolveThresholds({ minRequests: 2.5 }), {
      message: "invalid analysis thresholds: minRequests must be an integer (got 2.5)",
    });
  });

  it("rejects impossible samples", () => {
    assert.throws(() => analyze(sample(10, 11, 1), undefined), { message: "canary.errors (11) cannot exceed canary.requests (10)" });
    assert.throws(() => analyze(sample(100, 0, 1), sample(-1, 0, 1)), { message: "baseline.requests must be a number of at least 0 (got -1)" });
  });
});

describe("CloudWatch metrics source", () => {
  const canary = { targetGroup: "targetgroup/app-green/0123456789abcdef", loadBalancer: "app/app-alb/fedcba9876543210" };
  const baseline = { targetGroup: "targetgroup/app-blue/00112233aabbccdd", loadBalancer: "app/app-alb/fedcba9876543210" };
  const end = new Date("2025-01-01T12:00:00Z");

  it("builds one query per metric and color, on the target group and load balancer dimensions", () => {
    const input = buildMetricDataQueries({ canary, baseline, end, windowSeconds: 300, periodSeconds: 60 });
    assert.equal(input.StartTime.toISOString(), "2025-01-01T11:55:00.000Z");
    assert.equal(input.EndTime.toISOString(), "2025-01-01T12:00:00.000Z");
    assert.deepEqual(
      input.MetricDataQueries.map((q) => [q.Id, q.MetricStat.Metric.MetricName, q.MetricStat.Stat, q.MetricStat.Period]),
      [
        ["canary_errors", "HTTPCode_Target_5XX_Count", "Sum", 60],
        ["canary_requests", "RequestCount", "Sum", 60],
        ["canary_latency", "TargetResponseTime", "p95", 60],
        ["baseline_errors", "HTTPCode_Target_5XX_Count", "Sum", 60],
        ["baseline_requests", "RequestCount", "Sum", 60],
        ["baseline_latency", "TargetResponseTime", "p95", 60],
      ],
    );
    for (const q of input.MetricDataQueries) {
      assert.equal(q.MetricStat.Metric.Namespace, ALB_NAMESPACE);
      assert.equal(q.ReturnData, true);
      const dims = q.Id.startsWith("canary") ? canary : baseline;
      assert.deepEqual(q.MetricStat.Metric.Dimensions, [
        { Name: "TargetGroup", Value: dims.targetGroup },
        { Name: "LoadBalancer", Value: dims.loadBalancer },
      ]);
    }
  });

  it("queries the canary alone without a baseline", () => {
    const input = buildMetricDataQueries({ canary, end });
    assert.deepEqual(input.MetricDataQueries.map((q) => q.Id), ["canary_errors", "canary_requests", "canary_latency"]);
    assert.equal(input.StartTime.toISOString(), "2025-01-01T11:55:00.000Z");
  });

  it("rejects windows, periods and dimensions CloudWatch would not take", () => {
    assert.throws(() => buildMetricDataQueries({ canary, windowSeconds: 90 }), { message: "windowSeconds must be a multiple of 60 of at least 60 (got 90)" });
    assert.throws(() => buildMetricDataQueries({ canary, windowSeconds: 300, periodSeconds: 120 }), {
      message: "periodSeconds must be a multiple of 60 that divides windowSeconds 300 (got 120)",
    });
    assert.throws(() => buildMetricDataQueries({ canary: { ...canary, targetGroup: "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/x/1" } }), {
      message: /^canary\.targetGroup must be a target group ARN suffix/,
    });
  });

  const t = (n: number) => [...Array(n).keys()].map((i) => new Date(end.getTime() - (n - i) * 60000));
  const result = (Id: string, Values: number[]) => ({ Id, Values, Timestamps: t(Values.length), StatusCode: "Complete" });

  it("sums counts over the window and takes the worst period's p95, in milliseconds", () => {
    const out: GetMetricDataOutput = {
      MetricDataResults: [
        result("canary_requests", [100, 120, 80]),
        result("canary_errors", [1, 4]),
        result("canary_latency", [0.12, 0.3, 0.18]),
        result("baseline_requests", [1000, 1000, 1000]),
        // No 5xx datapoints at all: ALB metrics are sparse, this means 0.
        result("baseline_errors", []),
        result("baseline_latency", [0.2, 0.19, 0.21]),
      ],
    };
    assert.deepEqual(samplesFromMetricData(out), {
      canary: { requests: 300, errors: 5, p95LatencyMs: 300 },
      baseline: { requests: 3000, errors: 0, p95LatencyMs: 210 },
    });
  });

  it("feeds the analysis the same way the Prometheus source does", () => {
    const { canary: c, baseline: b } = samplesFromMetricData({
      MetricDataResults: [
        result("canary_requests", [500, 500]),
        result("canary_errors", [24, 24]),
        result("canary_latency", [0.1]),
        result("baseline_requests", [500, 500]),
        result("baseline_errors", [1]),
        result("baseline_latency", [0.1]),
      ],
    });
    assert.deepEqual(analyze(c, b, { maxErrorRatePercent: 10, minSuccessRatePercent: 90 }).failures, [
      "error rate 4.80% > 1.10% allowed (baseline 0.10% + 1.0 pp)",
    ]);
  });

  it("reports no baseline when none was queried, and unknown latency as NaN when requests were served", () => {
    const s = samplesFromMetricData({ MetricDataResults: [result("canary_requests", [60]), result("canary_latency", [])] });
    assert.equal(s.baseline, undefined);
    assert.equal(s.canary.requests, 60);
    assert.ok(Number.isNaN(s.canary.p95LatencyMs));
    assert.equal(analyze(s.canary, s.baseline).verdict, "inconclusive");
  });

  it("reports an idle window as 0 requests (inconclusive), not as an error", () => {
    const s = samplesFromMetricData({ MetricDataResults: [result("canary_requests", []), result("canary_latency", [])] });
    assert.deepEqual(s.canary, { requests: 0, errors: 0, p95LatencyMs: 0 });
    assert.deepEqual(analyze(s.canary, undefined).failures, ["only 0 requests in the analysis window, at least 50 needed"]);
  });

  it("fails loudly on failed, truncated or missing queries", () => {
    assert.throws(
      () =>
        samplesFromMetricData({
          MetricDataResults: [{ Id: "canary_requests", StatusCode: "Forbidden" }],
          Messages: [{ Code: "Forbidden", Value: "not authorized to perform cloudwatch:GetMetricData" }],
        }),
      { message: "CloudWatch query canary_requests failed with Forbidden: not authorized to perform cloudwatch:GetMetricData" },
    );
    assert.throws(() => samplesFromMetricData({ MetricDataResults: [{ ...result("canary_requests", [1]), StatusCode: "PartialData" }] }), {
      message: "CloudWatch query canary_requests returned PartialData: fetch every page (NextToken) before analysing",
    });
    assert.throws(() => samplesFromMetricData({ MetricDataResults: [result("baseline_requests", [1])] }), {
      message: "CloudWatch response has no canary_requests result",
    });
  });
});
