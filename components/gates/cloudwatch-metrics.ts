// The CloudWatch metrics source of the health gates on the aws target: the ALB target groups' 5xx
// count, request count and p95 response time, judged by the same rules as the Prometheus source
// (analysis.ts).
//
// Pure data only. This module builds the `GetMetricData` request (the shape of the CloudWatch API
// and of @aws-sdk/client-cloudwatch's GetMetricDataCommandInput) and turns a `GetMetricData`-shaped
// response into samples. It makes no AWS SDK call: no AWS account is reachable where this project
// is built and tested, so the call itself is left to the gate's provider on a real aws stack.
import { MetricSample } from "./analysis";

/** The CloudWatch dimensions of one color's target group behind the ALB. */
export interface TargetGroupDimensions {
  /** The target group's ARN suffix, `targetgroup/<name>/<id>` (aws.lb.TargetGroup.arnSuffix). */
  targetGroup: string;
  /** The load balancer's ARN suffix, `app/<name>/<id>` (aws.lb.LoadBalancer.arnSuffix). */
  loadBalancer: string;
}

export interface CloudWatchQueryArgs {
  /** The color being analysed (the canary). */
  candidate: TargetGroupDimensions;
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
type Role = "candidate" | "baseline";

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
}

/** Query ids must start with a lowercase letter: `candidate_errors`, `baseline_latency`, ... */
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
  for (const [role, d] of [["candidate", a.candidate], ["baseline", a.baseline]] as const) {
    if (!d) continue;
    if (!/^targetgroup\/[^/]+\/[0-9a-f]+$/.test(d.targetGroup)) {
      throw new Error(`${role}.targetGroup must be a target group ARN suffix like targetgroup/<name>/<id> (got ${JSON.stringify(d.targetGroup)})`);
    }
    if (!/^app\/[^/]+\/[0-9a-f]+$/.test(d.loadBalancer)) {
      throw new Error(`${role}.loadBalancer must be a load balancer ARN suffix like app/<name>/<id> (got ${JSON.stringify(d.loadBalancer)})`);
    }
  }
}

/** The GetMetricData request for the canary and, when given, the baseline target group. */
export function buildMetricDataQueries(a: CloudWatchQueryArgs): GetMetricDataInput {
  validateCloudWatchQueryArgs(a);
  const windowSeconds = a.windowSeconds ?? 300;
  const period = a.periodSeconds ?? 60;
  const end = a.end ?? new Date();
  const queries: MetricDataQuery[] = [];
  const roles: [Role, TargetGroupDimensions | undefined][] = [["candidate", a.candidate], ["baseline", a.baseline]];
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
  candidate: MetricSample;
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

/** Turns a GetMetricData response into the samples `analyze` takes. Throws on a failed query. */
export function samplesFromMetricData(out: GetMetricDataOutput): CloudWatchSamples {
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
  const candidate = sampleFor("candidate", byId);
  if (!candidate) throw new Error(`CloudWatch response has no ${queryId("candidate", "requests")} result`);
  const baseline = sampleFor("baseline", byId);
  return baseline ? { candidate, baseline } : { candidate };
}
