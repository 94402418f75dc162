// Unit tests of the two metrics sources through the `MetricsSource` interface the analysis reads:
// CloudWatch (components/targets/aws/cloudwatch-source.ts) over a fake client that records what it
// is sent, and Prometheus (components/gates/prometheus-source.ts) against a tiny HTTP server on
// 127.0.0.1. Neither needs AWS or a real Prometheus; both must give `analyze` the same verdicts for
// the same traffic. The counts since a start time (what the sequential analysis reads) are tested
// at the end of each part.
import * as assert from "node:assert/strict";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { analyze, MetricSample } from "../../components/gates/analysis";
import { ColorSeries, loadMetricsSource, MetricsSource } from "../../components/gates/metrics-source";
import { prometheusSource } from "../../components/gates/prometheus-source";
import { counterIncrease, readCountsSince } from "../../components/gates/prometheus-metrics";
import { DURATION_BUCKETS_SECONDS } from "../../sample-service/metrics";
import { BOUNDS } from "./helpers/gate-simulation";
import {
  cloudWatchSource,
  countsFromMetricData,
  createCloudWatchSource,
  LATENCY_BOUNDS_SECONDS,
  GetMetricDataClient,
  GetMetricDataInput,
  GetMetricDataOutput,
  MetricDataQuery,
  TargetGroupDimensions,
} from "../../components/targets/aws/cloudwatch-source";

const blue: TargetGroupDimensions = { targetGroup: "targetgroup/app-blue/00112233aabbccdd", loadBalancer: "app/app-alb/fedcba9876543210" };
const green: TargetGroupDimensions = { targetGroup: "targetgroup/app-green/0123456789abcdef", loadBalancer: "app/app-alb/fedcba9876543210" };
const series = (color: "blue" | "green", version: string): ColorSeries => ({ stack: "dev", service: "app", color, version });
const END = new Date("2025-01-01T12:00:00Z");

/** A client that answers with `pages` in order (an Error is thrown) and records every input. */
function fakeClient(pages: (GetMetricDataOutput | Error)[]): GetMetricDataClient & { inputs: GetMetricDataInput[] } {
  const inputs: GetMetricDataInput[] = [];
  return {
    inputs,
    async send({ input }) {
      inputs.push(input);
      const page = pages.shift();
      if (!page) throw new Error("fake CloudWatch: asked for more pages than the test gave");
      if (page instanceof Error) throw page;
      return page;
    },
  };
}

const query = (id: string, metricName: string, stat: string, d: TargetGroupDimensions, period: number): MetricDataQuery => ({
  Id: id,
  Label: `canary ${metricName} ${stat}`,
  MetricStat: {
    Metric: {
      Namespace: "AWS/ApplicationELB",
      MetricName: metricName,
      Dimensions: [
        { Name: "TargetGroup", Value: d.targetGroup },
        { Name: "LoadBalancer", Value: d.loadBalancer },
      ],
    },
    Period: period,
    Stat: stat,
  },
  ReturnData: true,
});
const colorQueries = (d: TargetGroupDimensions, period: number) => [
  query("canary_errors", "HTTPCode_Target_5XX_Count", "Sum", d, period),
  query("canary_requests", "RequestCount", "Sum", d, period),
  query("canary_latency", "TargetResponseTime", "p95", d, period),
];

/** One page for one color: per-minute Sums of requests and 5xx, p95 in seconds. */
function page(requests: number[], errors: number[], latency: number[], status = "Complete", nextToken?: string): GetMetricDataOutput {
  const at = (n: number) => [...Array(n).keys()].map((i) => new Date(END.getTime() - (n - i) * 60000));
  const r = (Id: string, Values: number[]) => ({ Id, Values, Timestamps: at(Values.length), StatusCode: status });
  return {
    MetricDataResults: [r("canary_requests", requests), r("canary_errors", errors), r("canary_latency", latency)],
    ...(nextToken ? { NextToken: nextToken } : {}),
  };
}

const FORBIDDEN: GetMetricDataOutput = {
  MetricDataResults: [{ Id: "canary_requests", StatusCode: "Forbidden" }],
  Messages: [{ Code: "Forbidden", Value: "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: cloudwatch:GetMetricData" }],
};

describe("CloudWatch source through MetricsSource", function () {
  this.timeout(10000);
  const options = { region: "eu-west-1", dimensions: { blue, green } };

  it("queries the color's dimensions over the window rounded up to a whole minute", async () => {
    const client = fakeClient([page([100], [0], [0.1])]);
    const source = createCloudWatchSource(options, client, () => END);
    assert.equal(source.description, "CloudWatch in eu-west-1");
    assert.deepEqual(await source.sample(series("green", "v2"), 61.3), { requests: 100, errors: 0, p95LatencyMs: 100 });
    assert.deepEqual(client.inputs, [
      {
        StartTime: new Date("2025-01-01T11:58:00Z"),
        EndTime: END,
        MetricDataQueries: colorQueries(green, 60),
        ScanBy: "TimestampAscending",
      },
    ]);
  });

  it("keeps a whole-minute window and rounds up to whole periods of periodSeconds", async () => {
    const client = fakeClient([page([1], [0], [0.1]), page([1], [0], [0.1])]);
    const source = createCloudWatchSource({ ...options, periodSeconds: 300 }, client, () => END);
    await source.sample(series("blue", "v1"), 300);
    await source.sample(series("blue", "v1"), 301);
    assert.deepEqual(
      client.inputs.map((i) => [i.StartTime.toISOString(), i.EndTime.toISOString()]),
      [
        ["2025-01-01T11:55:00.000Z", "2025-01-01T12:00:00.000Z"],
        ["2025-01-01T11:50:00.000Z", "2025-01-01T12:00:00.000Z"],
      ],
    );
    assert.deepEqual(client.inputs[0].MetricDataQueries, colorQueries(blue, 300));
  });

  it("follows NextToken and merges the pages before sampling", async () => {
    const client = fakeClient([page([600], [30], [0.12], "PartialData", "page-2"), page([400], [20], [0.15])]);
    const source = createCloudWatchSource(options, client, () => END);
    assert.deepEqual(await source.sample(series("green", "v2"), 120), { requests: 1000, errors: 50, p95LatencyMs: 150 });
    assert.equal(client.inputs.length, 2);
    assert.equal("NextToken" in client.inputs[0], false);
    assert.deepEqual(client.inputs[1], { ...client.inputs[0], NextToken: "page-2" });
  });

  it("refuses a last page that is still PartialData", async () => {
    const source = createCloudWatchSource(options, fakeClient([page([600], [30], [0.12], "PartialData")]), () => END);
    await assert.rejects(source.sample(series("green", "v2"), 60), {
      message: "CloudWatch query canary_requests returned PartialData: fetch every page (NextToken) before analysing",
    });
  });

  it("rejects a color without dimensions, asking CloudWatch nothing", async () => {
    const client = fakeClient([]);
    const source = createCloudWatchSource({ region: "eu-west-1", dimensions: { blue } }, client, () => END);
    await assert.rejects(source.sample(series("green", "v2"), 60), { message: "CloudWatch in eu-west-1 has no target group dimensions for green" });
    assert.equal(client.inputs.length, 0);
  });

  it("rejects a Forbidden query with CloudWatch's message", async () => {
    const source = createCloudWatchSource(options, fakeClient([FORBIDDEN, FORBIDDEN]), () => END);
    await assert.rejects(source.sample(series("green", "v2"), 60), {
      message: "CloudWatch query canary_requests failed with Forbidden: User: arn:aws:iam::123456789012:user/ci is not authorized to perform: cloudwatch:GetMetricData",
    });
    await assert.rejects(source.reachable(), {
      message: "CloudWatch query for blue failed with Forbidden: User: arn:aws:iam::123456789012:user/ci is not authorized to perform: cloudwatch:GetMetricData",
    });
  });

  it("checks reachability with one metric over one minute, and rejects with the client's message", async () => {
    const notFound = Object.assign(new Error("UnknownError"), { name: "Unknown", $metadata: { httpStatusCode: 404 } });
    const client = fakeClient([page([0], [], []), new Error("Could not load credentials from any providers"), notFound]);
    const source = createCloudWatchSource(options, client, () => END);
    await source.reachable();
    await assert.rejects(source.reachable(), { message: "Could not load credentials from any providers" });
    await assert.rejects(source.reachable(), { message: "UnknownError (HTTP 404)" });
    assert.deepEqual(client.inputs[0], {
      StartTime: new Date("2025-01-01T11:59:00Z"),
      EndTime: END,
      MetricDataQueries: [query("canary_requests", "RequestCount", "Sum", blue, 60)],
      ScanBy: "TimestampAscending",
    });
  });

  it("rejects bad options naming the option", () => {
    const cases: [unknown, string][] = [
      [{ dimensions: { blue } }, "cloudWatchSource options: region must be an AWS region like eu-west-1 (got undefined)"],
      [{ region: "eu-west-1" }, "cloudWatchSource options: dimensions must be an object keyed by color (got undefined)"],
      [{ region: "eu-west-1", dimensions: {} }, "cloudWatchSource options: dimensions must give at least one color's target group"],
      [{ region: "eu-west-1", dimensions: { red: blue } }, "cloudWatchSource options: dimensions.red: not a color (allowed: blue, green)"],
      [
        { region: "eu-west-1", dimensions: { green: { ...green, targetGroup: "app-green" } } },
        'cloudWatchSource options: dimensions.green.targetGroup must be a target group ARN suffix like targetgroup/<name>/<id> (got "app-green")',
      ],
      [{ ...options, periodSeconds: 90 }, "cloudWatchSource options: periodSeconds must be a multiple of 60 of at least 60 (got 90)"],
      [{ ...options, period: 60 }, "cloudWatchSource options: unknown option period (allowed: region, dimensions, periodSeconds)"],
    ];
    for (const [raw, message] of cases) {
      assert.throws(() => cloudWatchSource(raw as Record<string, unknown>), { message });
    }
  });

  it("is loaded by the gate's provider from its spec without loading the AWS SDK", () => {
    const source = loadMetricsSource({ module: require.resolve("../../components/targets/aws/cloudwatch-source"), factory: "cloudWatchSource", options });
    assert.equal(source.description, "CloudWatch in eu-west-1");
    // The SDK is required on the first call only; no test in this process makes one.
    assert.equal(Object.keys(require.cache).some((k) => k.includes("@aws-sdk/client-cloudwatch")), false);
  });

  // ---- counts since a start time ----

  const start = new Date("2025-01-01T11:58:30Z");
  /** One page of the counts queries: per-minute values by query id. */
  const countsPage = (values: Record<string, number[]>): GetMetricDataOutput => ({
    MetricDataResults: Object.entries(values).map(([Id, Values]) => ({ Id, Values, Timestamps: Values.map((_, i) => new Date(END.getTime() - (Values.length - i) * 60000)), StatusCode: "Complete" })),
  });

  it("reads counts since a start from whole minutes: Sums, and TargetResponseTime's trimmed counts per bound", async () => {
    const buckets = Object.fromEntries(LATENCY_BOUNDS_SECONDS.map((b, i) => [`counts_le_${i}`, b < 0.005 ? [0, 0] : b < 0.25 ? [90, 100] : [100, 104]]));
    const client = fakeClient([countsPage({ counts_requests: [100, 104], counts_errors: [1, 4], counts_timed: [100, 104], ...buckets })]);
    const source = createCloudWatchSource(options, client, () => END);
    const counts = await source.countsSince(series("green", "v2"), start);
    assert.deepEqual([counts.requests, counts.errors], [204, 5]);
    assert.deepEqual(counts.buckets.map((b) => [b.le, b.count]), [...LATENCY_BOUNDS_SECONDS.map((b) => [b, b < 0.005 ? 0 : b < 0.25 ? 190 : 204]), [Infinity, 204]]);
    const input = client.inputs[0];
    // The minute that holds the start, to now.
    assert.deepEqual([input.StartTime, input.EndTime], [new Date("2025-01-01T11:58:00Z"), END]);
    assert.deepEqual(input.MetricDataQueries.slice(0, 3).map((q) => [q.Id, q.MetricStat.Metric.MetricName, q.MetricStat.Stat]), [
      ["counts_requests", "RequestCount", "Sum"],
      ["counts_errors", "HTTPCode_Target_5XX_Count", "Sum"],
      ["counts_timed", "TargetResponseTime", "SampleCount"],
    ]);
    assert.deepEqual(input.MetricDataQueries.slice(3).map((q) => q.MetricStat.Stat), LATENCY_BOUNDS_SECONDS.map((b) => `TC(:${b})`));
    assert.ok(input.MetricDataQueries.every((q) => q.MetricStat.Metric.Dimensions[0].Value === green.targetGroup));
  });

  it("keeps counts consistent when one metric's datapoints arrive before another's", () => {
    const counts = countsFromMetricData(countsPage({ counts_requests: [10], counts_errors: [12], counts_timed: [8], counts_le_0: [9] }));
    // 5xx never above requests; a cumulative bucket never below a smaller bound's.
    assert.equal(counts.errors, 10);
    assert.deepEqual([counts.buckets[0].count, counts.buckets[counts.buckets.length - 1].count], [9, 9]);
  });

  it("rejects counts of a color without dimensions, or a denied query", async () => {
    const source = createCloudWatchSource({ region: "eu-west-1", dimensions: { blue } }, fakeClient([FORBIDDEN]), () => END);
    await assert.rejects(source.countsSince(series("green", "v2"), start), { message: "CloudWatch in eu-west-1 has no target group dimensions for green" });
    await assert.rejects(source.countsSince(series("blue", "v1"), start), { message: /^CloudWatch query canary_requests failed with Forbidden/ });
  });

  it("reads latency at the sample service's own histogram bounds", () => {
    assert.deepEqual(LATENCY_BOUNDS_SECONDS, DURATION_BUCKETS_SECONDS);
    assert.deepEqual(BOUNDS, DURATION_BUCKETS_SECONDS);
  });
});

// ---- Prometheus -----------------------------------------------------------------------------

type Counts = { requests: number; errors: number; p95Seconds: number };

/** A Prometheus that answers the three queries of prometheus-metrics.ts from `counts` per color. */
function fakePrometheus(counts: Partial<Record<"blue" | "green", Counts>>) {
  const state = { ready: true, queries: [] as string[] };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/-/ready") {
      res.writeHead(state.ready ? 200 : 503).end(state.ready ? "Prometheus Server is Ready.\n" : "Service Unavailable");
      return;
    }
    if (url.pathname !== "/api/v1/query") return void res.writeHead(404).end();
    const q = url.searchParams.get("query") ?? "";
    state.queries.push(q);
    const c = counts[/color="(\w+)"/.exec(q)?.[1] as "blue" | "green"];
    const v = !c ? undefined : q.startsWith("histogram_quantile") ? c.p95Seconds : q.includes("errors_total") ? c.errors : c.requests;
    const result = v === undefined ? [] : [{ metric: {}, value: [END.getTime() / 1000, String(v)] }];
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "success", data: { resultType: "vector", result } }));
  });
  return {
    state,
    async start(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    async stop(): Promise<void> {
      // Node's global agent keeps connections alive; close them or `close` waits for them.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe("Prometheus source through MetricsSource", function () {
  this.timeout(10000);
  // Green serves 5% errors against a clean blue: the same traffic as the CloudWatch pages below.
  const prometheus = fakePrometheus({ green: { requests: 1000, errors: 50, p95Seconds: 0.15 }, blue: { requests: 2000, errors: 0, p95Seconds: 0.1 } });
  let url = "";
  before(async () => {
    url = await prometheus.start();
  });
  after(() => prometheus.stop());

  it("samples one color with the PromQL of its window", async () => {
    prometheus.state.queries.length = 0;
    const source = prometheusSource({ url: `${url}/` });
    assert.equal(source.description, `Prometheus at ${url}`);
    assert.deepEqual(await source.sample(series("green", "v2"), 30), { requests: 1000, errors: 50, p95LatencyMs: 150 });
    const sel = 'stack="dev",service="app",color="green",version="v2"';
    assert.deepEqual([...prometheus.state.queries].sort(), [
      `histogram_quantile(0.95, sum by (le) (increase(runbook_http_request_duration_seconds_bucket{${sel}}[30s])))`,
      `sum(increase(runbook_http_request_errors_total{${sel}}[30s]))`,
      `sum(increase(runbook_http_requests_total{${sel}}[30s]))`,
    ]);
  });

  it("is reachable while /-/ready answers 200, and not while it answers 503", async () => {
    const source = prometheusSource({ url });
    await source.reachable();
    prometheus.state.ready = false;
    try {
      await assert.rejects(source.reachable(), { message: "Request failed with status code 503" });
    } finally {
      prometheus.state.ready = true;
    }
  });

  it("rejects on a closed port, for reachable() and sample()", async () => {
    const source = prometheusSource({ url: `http://127.0.0.1:${await closedPort()}` });
    await assert.rejects(source.reachable(), { message: /^connect ECONNREFUSED 127\.0\.0\.1:\d+$/ });
    await assert.rejects(source.sample(series("green", "v2"), 30), { message: /ECONNREFUSED/ });
  });

  it("rejects bad options naming the option", () => {
    assert.throws(() => prometheusSource({}), { message: "prometheusSource options: url must be an http(s) URL (got undefined)" });
    assert.throws(() => prometheusSource({ url: "ftp://x" }), { message: 'prometheusSource options: url must be an http(s) URL (got "ftp://x")' });
    assert.throws(() => prometheusSource({ url, timeout: 1 }), { message: "prometheusSource options: unknown option timeout (allowed: url)" });
  });

  it("is loaded by the gate's provider from its spec", () => {
    const source = loadMetricsSource({ module: require.resolve("../../components/gates/prometheus-source"), factory: "prometheusSource", options: { url } });
    assert.equal(source.description, `Prometheus at ${url}`);
  });

  // ---- both sources, one analysis ----

  async function verdicts(source: MetricsSource) {
    const canary: MetricSample = await source.sample(series("green", "v2"), 120);
    const baseline: MetricSample = await source.sample(series("blue", "v1"), 120);
    return { canary, baseline, result: analyze(canary, baseline) };
  }

  it("gives analyze() the same samples and verdicts from CloudWatch as from Prometheus", async () => {
    // Green's 1000 requests and 50 5xx arrive over two minutes (and two pages); blue is clean.
    const client = fakeClient([page([600], [30], [0.12], "PartialData", "p2"), page([400], [20], [0.15]), page([1000, 1000], [], [0.1, 0.08])]);
    const fromCloudWatch = await verdicts(createCloudWatchSource({ region: "eu-west-1", dimensions: { blue, green } }, client, () => END));
    const fromPrometheus = await verdicts(prometheusSource({ url }));
    assert.deepEqual(fromCloudWatch, fromPrometheus);
    assert.deepEqual(fromCloudWatch.canary, { requests: 1000, errors: 50, p95LatencyMs: 150 });
    assert.deepEqual(fromCloudWatch.result, {
      verdict: "fail",
      failures: [
        "error rate 5.00% > 0.10% SLO",
        "success rate 95.00% < 99.90% SLO",
        "error rate 5.00% > 1.00% allowed (baseline 0.00% + 1.0 pp)",
        "p95 latency 150 ms > 110 ms allowed (baseline 100 ms + 10%)",
      ],
      notes: [],
    });
  });

  it("passes a healthy color from either source", async () => {
    const healthy = fakePrometheus({ green: { requests: 1000, errors: 0, p95Seconds: 0.1 } });
    const healthyUrl = await healthy.start();
    try {
      const cw = await createCloudWatchSource({ region: "eu-west-1", dimensions: { green } }, fakeClient([page([500, 500], [], [0.09, 0.1])]), () => END).sample(series("green", "v2"), 120);
      const prom = await prometheusSource({ url: healthyUrl }).sample(series("green", "v2"), 120);
      assert.deepEqual(cw, prom);
      assert.deepEqual(analyze(cw, undefined), { verdict: "pass", failures: [], notes: ["no baseline: canary rules not applied, absolute SLOs only"] });
    } finally {
      await healthy.stop();
    }
  });
});

describe("Prometheus source: counts since a start time", function () {
  this.timeout(10000);
  const start = new Date("2025-01-01T11:59:00Z");
  const now = new Date(start.getTime() + 2000);
  const at = (offsetSeconds: number) => start.getTime() / 1000 + offsetSeconds;
  const sel = { stack: "dev", service: "app", color: "green", version: "v2" };
  type Series = { metric: Record<string, string>; samples: [number, number][] };
  const s = (name: string, labels: Record<string, string>, samples: [number, number][]): Series => ({ metric: { __name__: name, ...sel, ...labels }, samples: samples.map(([t, v]) => [at(t), v]) });
  // a: served before the start and since; b: born after the start (its first sample is all new);
  // c: restarted in the window (the counter drops to 5 and grows again).
  const stored: Series[] = [
    s("runbook_http_requests_total", { instance: "a", code: "200" }, [[-0.5, 100], [0.5, 130], [1.5, 160]]),
    s("runbook_http_requests_total", { instance: "b", code: "500" }, [[1, 3]]),
    s("runbook_http_requests_total", { instance: "c", code: "200" }, [[-0.5, 50], [0.5, 70], [1, 5], [1.5, 12]]),
    s("runbook_http_request_errors_total", { instance: "b" }, [[1, 3]]),
    s("runbook_http_request_errors_total", { instance: "c" }, [[-0.5, 2], [0.5, 2], [1, 0], [1.5, 1]]),
    s("runbook_http_request_duration_seconds_bucket", { instance: "a", le: "0.01" }, [[-0.5, 10], [1.5, 60]]),
    s("runbook_http_request_duration_seconds_bucket", { instance: "a", le: "0.25" }, [[-0.5, 12], [1.5, 102]]),
    s("runbook_http_request_duration_seconds_bucket", { instance: "a", le: "+Inf" }, [[-0.5, 12], [1.5, 107]]),
  ];
  const queries: { query: string; time: number }[] = [];
  // Answers an instant selector with each series' last sample at or before `time` (the lookback),
  // and a range selector with the samples in (time - range, time].
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const query = url.searchParams.get("query") ?? "";
    const time = Number(url.searchParams.get("time"));
    queries.push({ query, time });
    const m = /^(\w+)\{(.*)\}(?:\[(\d+)ms\])?$/.exec(query);
    if (!m) return void res.writeHead(400).end();
    const [, name, selector, rangeMs] = m;
    const mine = stored.filter((x) => x.metric.__name__ === name && selector === 'stack="dev",service="app",color="green",version="v2"');
    const result = rangeMs
      ? mine.map((x) => ({ metric: x.metric, values: x.samples.filter(([t]) => t > time - Number(rangeMs) / 1000 && t <= time).map(([t, v]) => [t, String(v)]) })).filter((x) => x.values.length)
      : mine.flatMap((x) => {
          const last = x.samples.filter(([t]) => t <= time && t > time - 300).pop();
          return last ? [{ metric: x.metric, value: [last[0], String(last[1])] }] : [];
        });
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "success", data: { resultType: rangeMs ? "matrix" : "vector", result } }));
  });
  let url = "";
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("takes each series' increase, a drop counted as a restart from 0", () => {
    assert.equal(counterIncrease(100, [130, 160]), 60);
    assert.equal(counterIncrease(undefined, [3]), 3);
    assert.equal(counterIncrease(50, [70, 5, 12]), 32);
    assert.equal(counterIncrease(10, []), 0);
  });

  it("sums the series' increases: exact whole counts, new and restarted series included", async () => {
    queries.length = 0;
    const counts = await readCountsSince(url, sel, start, now);
    assert.deepEqual(counts, {
      requests: 60 + 3 + (20 + 5 + 7),
      errors: 3 + 1,
      buckets: [
        { le: 0.01, count: 50 },
        { le: 0.25, count: 90 },
        { le: Infinity, count: 95 },
      ],
    });
    const s2 = 'stack="dev",service="app",color="green",version="v2"';
    assert.deepEqual(
      queries.map((q) => [q.query, q.time]).sort(),
      [
        [`runbook_http_request_duration_seconds_bucket{${s2}}`, start.getTime() / 1000],
        [`runbook_http_request_duration_seconds_bucket{${s2}}[2000ms]`, now.getTime() / 1000],
        [`runbook_http_request_errors_total{${s2}}`, start.getTime() / 1000],
        [`runbook_http_request_errors_total{${s2}}[2000ms]`, now.getTime() / 1000],
        [`runbook_http_requests_total{${s2}}`, start.getTime() / 1000],
        [`runbook_http_requests_total{${s2}}[2000ms]`, now.getTime() / 1000],
      ],
    );
  });

  it("reports a color without series as nothing served, and rejects when Prometheus cannot be read", async () => {
    assert.deepEqual(await readCountsSince(url, { ...sel, color: "blue" }, start, now), { requests: 0, errors: 0, buckets: [{ le: Infinity, count: 0 }] });
    const source = prometheusSource({ url: `http://127.0.0.1:${await closedPort()}` });
    await assert.rejects(source.countsSince(series("green", "v2"), start), { message: /ECONNREFUSED/ });
  });
});
