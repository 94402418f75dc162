// The aws target's metrics source for the health gates: the ALB target groups' 5xx count, request
// count and p95 response time in CloudWatch, judged by the same rules as the Prometheus source
// (analysis.ts), and the counts since a start time the sequential analysis judges (a latency
// histogram built from TargetResponseTime's trimmed counts).
//
// The top half is pure: it builds the `GetMetricData` request (the shape of the CloudWatch API and of
// @aws-sdk/client-cloudwatch's GetMetricDataCommandInput) and turns a `GetMetricData`-shaped
// response into samples, computing ratios from raw Sums (no metric math). The bottom half is the
// `MetricsSource` the gate's provider loads; it reaches AWS through an injectable client so tests
// need no account, and only the default client loads the SDK.
import type * as CloudWatchSdk from "@aws-sdk/client-cloudwatch";
import { Color, COLORS } from "../../types";
import { MetricSample } from "../../gates/analysis";
import { ColorCounts } from "../../gates/counts";
import { ColorSeries, MetricsSource, MetricsSourceFactory } from "../../gates/metrics-source";

/** The CloudWatch dimensions of one color's target group behind the ALB. */
export interface TargetGroupDimensions {
  /** The target group's ARN suffix, `targetgroup/<name>/<id>` (aws.lb.TargetGroup.arnSuffix). */
  targetGroup: string;
  /** The load balancer's ARN suffix, `app/<name>/<id>` (aws.lb.LoadBalancer.arnSuffix). */
  loadBalancer: string;
}

export interface CloudWatchQueryArgs {
  /** The color being analysed (the canary). */
  canary: TargetGroupDimensions;
  /** The stable color compared against. Defaults to none (absolute SLOs only). */
  baseline?: TargetGroupDimensions;
  /** End of the analysis window. Defaults to now. */
  end?: Date;
  /** Length of the analysis window, a multiple of 60, in seconds. Defaults to 300. */
  windowSeconds?: number;
  /** CloudWatch period of each datapoint, a multiple of 60 dividing the window, in seconds. Defaults to 60. */
  periodSeconds?: number;
}

export const ALB_NAMESPACE = "AWS/ApplicationELB";
export const METRICS = {
  errors: { metricName: "HTTPCode_Target_5XX_Count", stat: "Sum" },
  requests: { metricName: "RequestCount", stat: "Sum" },
  latency: { metricName: "TargetResponseTime", stat: "p95" },
} as const;
type MetricKey = keyof typeof METRICS;
type Role = "canary" | "baseline";

export interface MetricDataQuery {
  Id: string;
  Label: string;
  MetricStat: {
    Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] };
    Period: number;
    Stat: string;
  };
  ReturnData: boolean;
}

export interface GetMetricDataInput {
  StartTime: Date;
  EndTime: Date;
  MetricDataQueries: MetricDataQuery[];
  ScanBy: "TimestampAscending" | "TimestampDescending";
  /** The previous page's NextToken. Defaults to none (the first page). */
  NextToken?: string;
}

export interface MetricDataResult {
  Id?: string;
  Label?: string;
  Timestamps?: Date[];
  Values?: number[];
  /** "Complete" | "PartialData" | "Forbidden" | "InternalError". */
  StatusCode?: string;
}

export interface GetMetricDataOutput {
  MetricDataResults?: MetricDataResult[];
  Messages?: { Code?: string; Value?: string }[];
  /** Set when more pages follow. */
  NextToken?: string;
}

/** Query ids must start with a lowercase letter: `canary_errors`, `baseline_latency`, ... */
export function queryId(role: Role, metric: MetricKey): string {
  return `${role}_${metric}`;
}

export function validateCloudWatchQueryArgs(a: CloudWatchQueryArgs): void {
  const window = a.windowSeconds ?? 300;
  const period = a.periodSeconds ?? 60;
  if (!Number.isInteger(window) || window < 60 || window % 60 !== 0) {
    throw new Error(`windowSeconds must be a multiple of 60 of at least 60 (got ${window})`);
  }
  if (!Number.isInteger(period) || period < 60 || period % 60 !== 0 || window % period !== 0) {
    throw new Error(`periodSeconds must be a multiple of 60 that divides windowSeconds ${window} (got ${period})`);
  }
  for (const [role, d] of [["canary", a.canary], ["baseline", a.baseline]] as const) {
    const problem = d && dimensionsProblem(role, d);
    if (problem) throw new Error(problem);
  }
}

/** Why `d` is not a target group's dimensions, naming it `name`; undefined when it is. */
function dimensionsProblem(name: string, d: unknown): string | undefined {
  if (typeof d !== "object" || d === null) return `${name} must be { targetGroup, loadBalancer } (got ${JSON.stringify(d)})`;
  const { targetGroup, loadBalancer } = d as Record<string, unknown>;
  if (typeof targetGroup !== "string" || !/^targetgroup\/[^/]+\/[0-9a-f]+$/.test(targetGroup)) {
    return `${name}.targetGroup must be a target group ARN suffix like targetgroup/<name>/<id> (got ${JSON.stringify(targetGroup)})`;
  }
  if (typeof loadBalancer !== "string" || !/^app\/[^/]+\/[0-9a-f]+$/.test(loadBalancer)) {
    return `${name}.loadBalancer must be a load balancer ARN suffix like app/<name>/<id> (got ${JSON.stringify(loadBalancer)})`;
  }
  return undefined;
}

/** The GetMetricData request for the canary and, when given, the baseline target group. */
export function buildMetricDataQueries(a: CloudWatchQueryArgs): GetMetricDataInput {
  validateCloudWatchQueryArgs(a);
  const windowSeconds = a.windowSeconds ?? 300;
  const period = a.periodSeconds ?? 60;
  const end = a.end ?? new Date();
  const queries: MetricDataQuery[] = [];
  const roles: [Role, TargetGroupDimensions | undefined][] = [["canary", a.canary], ["baseline", a.baseline]];
  for (const [role, d] of roles) {
    if (!d) continue;
    for (const key of Object.keys(METRICS) as MetricKey[]) {
      const m = METRICS[key];
      queries.push({
        Id: queryId(role, key),
        Label: `${role} ${m.metricName} ${m.stat}`,
        MetricStat: {
          Metric: {
            Namespace: ALB_NAMESPACE,
            MetricName: m.metricName,
            Dimensions: [
              { Name: "TargetGroup", Value: d.targetGroup },
              { Name: "LoadBalancer", Value: d.loadBalancer },
            ],
          },
          Period: period,
          Stat: m.stat,
        },
        ReturnData: true,
      });
    }
  }
  return {
    StartTime: new Date(end.getTime() - windowSeconds * 1000),
    EndTime: end,
    MetricDataQueries: queries,
    ScanBy: "TimestampAscending",
  };
}

export interface CloudWatchSamples {
  canary: MetricSample;
  baseline?: MetricSample;
}

function sampleFor(role: Role, byId: Map<string, MetricDataResult>): MetricSample | undefined {
  const series = (key: MetricKey): number[] | undefined => byId.get(queryId(role, key))?.Values;
  const requestValues = series("requests");
  if (requestValues === undefined && !byId.has(queryId(role, "requests"))) return undefined;
  const sum = (v: number[] | undefined): number => (v ?? []).reduce((a, b) => a + b, 0);
  const latency = series("latency") ?? [];
  return {
    requests: sum(requestValues),
    // ALB metrics are sparse: a period without a 5xx has no datapoint at all, which means 0.
    errors: sum(series("errors")),
    // TargetResponseTime is in seconds. Percentiles of separate periods cannot be merged exactly,
    // so the window's p95 is the worst period's p95: an upper bound, exact when period = window.
    // No datapoint while requests were served is "unknown" (NaN), which the analysis reports as
    // inconclusive rather than as a fast 0 ms.
    p95LatencyMs: latency.length ? Math.max(...latency) * 1000 : sum(requestValues) > 0 ? NaN : 0,
  };
}

/** The results by query id; throws on a failed, truncated or inconsistent query. */
function resultsById(out: GetMetricDataOutput): Map<string, MetricDataResult> {
  const byId = new Map<string, MetricDataResult>();
  for (const r of out.MetricDataResults ?? []) {
    if (!r.Id) continue;
    if (r.StatusCode === "Forbidden" || r.StatusCode === "InternalError") {
      const why = (out.Messages ?? []).map((m) => m.Value).filter(Boolean).join("; ");
      throw new Error(`CloudWatch query ${r.Id} failed with ${r.StatusCode}${why ? `: ${why}` : ""}`);
    }
    if (r.StatusCode === "PartialData") {
      // Only a truncated page says PartialData: the caller follows NextToken and merges the pages.
      throw new Error(`CloudWatch query ${r.Id} returned PartialData: fetch every page (NextToken) before analysing`);
    }
    if ((r.Values?.length ?? 0) !== (r.Timestamps?.length ?? r.Values?.length ?? 0)) {
      throw new Error(`CloudWatch query ${r.Id} returned ${r.Values?.length} values for ${r.Timestamps?.length} timestamps`);
    }
    byId.set(r.Id, r);
  }
  return byId;
}

/** Turns a GetMetricData response into the samples `analyze` takes. Throws on a failed query. */
export function samplesFromMetricData(out: GetMetricDataOutput): CloudWatchSamples {
  const byId = resultsById(out);
  const canary = sampleFor("canary", byId);
  if (!canary) throw new Error(`CloudWatch response has no ${queryId("canary", "requests")} result`);
  const baseline = sampleFor("baseline", byId);
  return baseline ? { canary, baseline } : { canary };
}

// ---- Counts since a start time ----

/**
 * Bounds, in seconds, of the latency histogram read from CloudWatch: the sample service's own
 * (sample-service/metrics.ts), so both sources judge latency at the same resolution.
 */
export const LATENCY_BOUNDS_SECONDS = [0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2];

const COUNT_IDS = { requests: "counts_requests", errors: "counts_errors", timed: "counts_timed" } as const;
const bucketId = (i: number) => `counts_le_${i}`;

/**
 * The GetMetricData request for one target group's counts from the period holding `start` to `end`:
 * request and 5xx Sums, and per bound the trimmed count TC(:b) of TargetResponseTime (responses
 * that took at most b seconds) beside its SampleCount (every timed response: the +Inf bucket).
 * Periods are whole minutes, so the first one reaches back before `start`: a little older traffic
 * of the same target group rather than a lost head.
 */
export function buildCountsQueries(d: TargetGroupDimensions, start: Date, end: Date, periodSeconds = 60): GetMetricDataInput {
  const problem = dimensionsProblem("dimensions", d);
  if (problem) throw new Error(problem);
  const periodMs = periodSeconds * 1000;
  const q = (Id: string, MetricName: string, Stat: string): MetricDataQuery => ({
    Id,
    Label: `${Id} ${MetricName} ${Stat}`,
    MetricStat: {
      Metric: {
        Namespace: ALB_NAMESPACE,
        MetricName,
        Dimensions: [
          { Name: "TargetGroup", Value: d.targetGroup },
          { Name: "LoadBalancer", Value: d.loadBalancer },
        ],
      },
      Period: periodSeconds,
      Stat,
    },
    ReturnData: true,
  });
  return {
    StartTime: new Date(Math.floor(start.getTime() / periodMs) * periodMs),
    EndTime: end,
    MetricDataQueries: [
      q(COUNT_IDS.requests, METRICS.requests.metricName, "Sum"),
      q(COUNT_IDS.errors, METRICS.errors.metricName, "Sum"),
      q(COUNT_IDS.timed, METRICS.latency.metricName, "SampleCount"),
      ...LATENCY_BOUNDS_SECONDS.map((b, i) => q(bucketId(i), METRICS.latency.metricName, `TC(:${b})`)),
    ],
    ScanBy: "TimestampAscending",
  };
}

/** Turns the counts request's response into whole counts. Throws on a failed query. */
export function countsFromMetricData(out: GetMetricDataOutput): ColorCounts {
  const byId = resultsById(out);
  const sum = (id: string) => Math.round((byId.get(id)?.Values ?? []).reduce((a, b) => a + b, 0));
  if (!byId.has(COUNT_IDS.requests)) throw new Error(`CloudWatch response has no ${COUNT_IDS.requests} result`);
  const requests = sum(COUNT_IDS.requests);
  const buckets = [...LATENCY_BOUNDS_SECONDS.map((le, i) => ({ le, count: sum(bucketId(i)) })), { le: Infinity, count: sum(COUNT_IDS.timed) }];
  // Each metric and statistic arrives on its own: a period's trimmed count may be in before its
  // SampleCount. Cumulative counts never fall with the bound, so a lagging one is raised to match.
  for (let i = 1; i < buckets.length; i++) buckets[i].count = Math.max(buckets[i].count, buckets[i - 1].count);
  // Likewise 5xx Sums may be in before the RequestCount they belong to.
  return { requests, errors: Math.min(sum(COUNT_IDS.errors), requests), buckets };
}

/**
 * Joins the pages of one GetMetricData call into one response: each query's datapoints in page
 * order, and the last page's status (a failure on any page wins). `samplesFromMetricData` refuses
 * a PartialData result, so a window is only judged once all its pages are in.
 */
export function mergeMetricDataPages(pages: GetMetricDataOutput[]): GetMetricDataOutput {
  const byId = new Map<string, MetricDataResult>();
  const failed = (status: string | undefined) => status === "Forbidden" || status === "InternalError";
  for (const page of pages) {
    for (const r of page.MetricDataResults ?? []) {
      const id = r.Id ?? "";
      const seen = byId.get(id);
      if (!seen) {
        byId.set(id, { ...r, Timestamps: [...(r.Timestamps ?? [])], Values: [...(r.Values ?? [])] });
        continue;
      }
      seen.Timestamps = [...(seen.Timestamps ?? []), ...(r.Timestamps ?? [])];
      seen.Values = [...(seen.Values ?? []), ...(r.Values ?? [])];
      if (!failed(seen.StatusCode)) seen.StatusCode = r.StatusCode;
    }
  }
  return { MetricDataResults: [...byId.values()], Messages: pages.flatMap((p) => p.Messages ?? []) };
}

// ---- The MetricsSource ----

export interface CloudWatchSourceOptions {
  /** The AWS region of the load balancer, e.g. "eu-west-1". */
  region: string;
  /** Each color's target group and load balancer; a color that is absent cannot be sampled. */
  dimensions: Partial<Record<Color, TargetGroupDimensions>>;
  /** CloudWatch period of each datapoint, a multiple of 60, in seconds. Defaults to 60. */
  periodSeconds?: number;
}

/** What the source needs of a CloudWatch client: one call. The SDK's client fits behind it. */
export interface GetMetricDataClient {
  send(command: { input: GetMetricDataInput }): Promise<GetMetricDataOutput>;
}

const OPTION_KEYS = ["region", "dimensions", "periodSeconds"];
// A GetMetricData page holds up to 100,800 datapoints, so a gate's window of minutes rarely needs
// a second; the cap only stops an endless run of NextTokens.
const MAX_PAGES = 20;

/** Checks options that come from the state as plain data; throws naming each bad option. */
export function parseCloudWatchSourceOptions(raw: unknown): CloudWatchSourceOptions {
  const fail = (why: string): never => {
    throw new Error(`cloudWatchSource options: ${why}`);
  };
  if (typeof raw !== "object" || raw === null) return fail(`must be an object (got ${JSON.stringify(raw)})`);
  const o = raw as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !OPTION_KEYS.includes(k));
  if (unknown.length) fail(`unknown option ${unknown.join(", ")} (allowed: ${OPTION_KEYS.join(", ")})`);
  // Caught here rather than by the SDK, whose message for a bad region is a DNS failure.
  if (typeof o.region !== "string" || !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(o.region)) {
    fail(`region must be an AWS region like eu-west-1 (got ${JSON.stringify(o.region)})`);
  }
  if (typeof o.dimensions !== "object" || o.dimensions === null) fail(`dimensions must be an object keyed by color (got ${JSON.stringify(o.dimensions)})`);
  const dims = o.dimensions as Record<string, unknown>;
  for (const key of Object.keys(dims)) {
    if (!(COLORS as readonly string[]).includes(key)) fail(`dimensions.${key}: not a color (allowed: ${COLORS.join(", ")})`);
    const problem = dimensionsProblem(`dimensions.${key}`, dims[key]);
    if (problem) fail(problem);
  }
  if (Object.keys(dims).length === 0) fail("dimensions must give at least one color's target group");
  const period = o.periodSeconds;
  if (period !== undefined && (typeof period !== "number" || !Number.isInteger(period) || period < 60 || period % 60 !== 0)) {
    fail(`periodSeconds must be a multiple of 60 of at least 60 (got ${JSON.stringify(period)})`);
  }
  return o as unknown as CloudWatchSourceOptions;
}

/**
 * The SDK's message (its error name when empty), with the HTTP status when there was a response:
 * a body-less answer, e.g. a proxy's 404, comes back as just "UnknownError".
 */
function reason(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return `${e.message || e.name}${status ? ` (HTTP ${status})` : ""}`;
}

/** The source over `client`, a fake in tests. `now` gives the end of each window. */
export function createCloudWatchSource(options: CloudWatchSourceOptions, client: GetMetricDataClient, now: () => Date = () => new Date()): MetricsSource {
  const { region, dimensions, periodSeconds } = parseCloudWatchSourceOptions(options);
  const period = periodSeconds ?? 60;
  const description = `CloudWatch in ${region}`;
  // Rejections carry the SDK's own words (missing credentials, unknown region, denied call).
  const send = (input: GetMetricDataInput) => client.send({ input }).catch((e: unknown) => Promise.reject(new Error(reason(e))));

  async function fetchAll(input: GetMetricDataInput): Promise<GetMetricDataOutput> {
    const pages: GetMetricDataOutput[] = [];
    let token: string | undefined;
    do {
      if (pages.length === MAX_PAGES) throw new Error(`${description}: still more pages after ${MAX_PAGES}`);
      const page = await send(token === undefined ? input : { ...input, NextToken: token });
      pages.push(page);
      token = page.NextToken;
    } while (token);
    return mergeMetricDataPages(pages);
  }

  return {
    description,
    async reachable() {
      // The cheapest call that proves credentials, region and permission: one metric, one minute.
      const [color, d] = Object.entries(dimensions)[0];
      const input = buildMetricDataQueries({ canary: d, end: now(), windowSeconds: 60, periodSeconds: 60 });
      input.MetricDataQueries = input.MetricDataQueries.filter((q) => q.Id === queryId("canary", "requests"));
      const out = await send(input);
      // A denied metric comes back as a result status, not as a rejected call.
      const denied = out.MetricDataResults?.find((r) => r.StatusCode === "Forbidden" || r.StatusCode === "InternalError");
      if (denied) {
        const why = (out.Messages ?? []).map((m) => m.Value).filter(Boolean).join("; ");
        throw new Error(`CloudWatch query for ${color} failed with ${denied.StatusCode}${why ? `: ${why}` : ""}`);
      }
    },
    async sample(series: ColorSeries, windowSeconds: number) {
      const d = dimensions[series.color];
      if (!d) throw new Error(`${description} has no target group dimensions for ${series.color}`);
      if (!Number.isFinite(windowSeconds) || windowSeconds <= 0) throw new Error(`windowSeconds must be above 0 (got ${windowSeconds})`);
      // CloudWatch periods are whole minutes (multiples of 60 s) and the window must hold whole
      // periods, so the window is rounded up: a little older traffic rather than a lost tail.
      const window = Math.ceil(windowSeconds / period) * period;
      const out = await fetchAll(buildMetricDataQueries({ canary: d, end: now(), windowSeconds: window, periodSeconds: period }));
      return samplesFromMetricData(out).canary;
    },
    async countsSince(series: ColorSeries, start: Date) {
      const d = dimensions[series.color];
      if (!d) throw new Error(`${description} has no target group dimensions for ${series.color}`);
      return countsFromMetricData(await fetchAll(buildCountsQueries(d, start, now(), period)));
    },
  };
}

/** The SDK's CloudWatch client behind the one call, built on first use. */
function sdkClient(region: string): GetMetricDataClient {
  let send: GetMetricDataClient["send"] | undefined;
  return {
    send(command) {
      if (!send) {
        // Required here, not at the top: only a gate running against a real aws stack needs the
        // SDK, and programs and tests that merely name this source never load it.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const sdk = require("@aws-sdk/client-cloudwatch") as typeof CloudWatchSdk;
        // Short timeouts and one retry: a gate must report an unreachable CloudWatch (no
        // credentials, blocked network) within seconds, not hang until the gate's own deadline.
        // Without throwOnRequestTimeout the SDK only logs a request that outlives requestTimeout.
        const client = new sdk.CloudWatchClient({
          region,
          maxAttempts: 2,
          requestHandler: { connectionTimeout: 2000, requestTimeout: 3000, throwOnRequestTimeout: true },
        });
        send = (c) => client.send(new sdk.GetMetricDataCommand(c.input));
      }
      return send(command);
    },
  };
}

/** The factory the gate's provider loads (`loadMetricsSource`): CloudWatch through the AWS SDK. */
export const cloudWatchSource: MetricsSourceFactory = (options) => {
  const parsed = parseCloudWatchSourceOptions(options);
  return createCloudWatchSource(parsed, sdkClient(parsed.region));
};
