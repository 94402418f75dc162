// The `gates.*` section of the stack config: which checks a health gate runs and their thresholds.
// Option names carry their units.
import { z } from "zod";
import { DEFAULT_THRESHOLDS } from "./analysis";
import { DEFAULT_SEQUENTIAL, errorRateLimitPercent } from "./sequential";

const num = (min: number, max: number, unit: string) =>
  z.preprocess(
    (v) => (typeof v === "string" && v.trim() !== "" && !isNaN(Number(v)) ? Number(v) : v),
    z.number({ invalid_type_error: `must be a number from ${min} to ${max}${unit}` }).min(min, { message: `must be a number from ${min} to ${max}${unit}` }).max(max, { message: `must be a number from ${min} to ${max}${unit}` }),
  );

export const CHECK_NAMES = ["api", "database", "cache", "external", "error-rate", "latency", "queries", "infrastructure", "monitoring"] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

/**
 * Checks a target never selects by default: they run only when listed in `gates.checks`. The
 * infrastructure check judges the whole machine (a loaded 2-core test VM idles above 70% CPU), and
 * the monitoring check needs the shipped alert rules loaded, which an older bootstrap did not do.
 * `queries` is selected by default only when `gates.queries` lists some.
 */
export const OPT_IN_CHECKS: readonly CheckName[] = ["infrastructure", "monitoring", "queries"];

/** The default of `gates.checks`: what the target can run, less the opt-in checks (queries when configured). */
export function defaultGateChecks(runnable: CheckName[], gates: { queries?: unknown[] }): CheckName[] {
  const base = runnable.filter((c) => !OPT_IN_CHECKS.includes(c));
  return gates.queries?.length && runnable.includes("queries") ? [...base, "queries"] : base;
}

/** Defaults of `gates.infrastructure` (applied by the check, so stacks that do not set it keep their gate inputs). */
export const DEFAULT_INFRASTRUCTURE = { maxCpuPercent: 70, maxMemoryPercent: 80, maxDiskPercent: 90, cpuWindowSeconds: 30 } as const;

/** Defaults of `gates.monitoring`. */
export const DEFAULT_MONITORING = { ruleGroups: ["deployment-runbook"], maxScrapeAgeSeconds: 10, waitSeconds: 30 } as const;

// A threshold in the query's own unit: any finite number.
const bound = (what: string) =>
  z.preprocess(
    (v) => (typeof v === "string" && v.trim() !== "" && !isNaN(Number(v)) ? Number(v) : v),
    z.number({ invalid_type_error: `must be a number (the ${what}, in the query's unit)` }).finite({ message: `must be a finite number (the ${what})` }),
  );

// A metric query of the stack's own (a business metric, a saturation figure): an instant PromQL
// query whose single value must stay within max and/or min.
const query = z
  .object({
    /** Names the query in results and rollback reasons. */
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { message: "must be 1-64 letters, digits, _ . or -" }),
    /** PromQL; $stack, $service, $color and $version are replaced by the release's (quoted-safe) values. */
    query: z.string().min(1, { message: "must be a PromQL expression" }),
    /** The largest value allowed, in the query's own unit. */
    max: bound("largest value allowed").optional(),
    /** The smallest value allowed, in the query's own unit. */
    min: bound("smallest value allowed").optional(),
    description: z.string().optional(),
  })
  .strict()
  .superRefine((q, ctx) => {
    if (q.max === undefined && q.min === undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["max"], message: "set max and/or min: a query without a threshold cannot fail" });
    if (q.max !== undefined && q.min !== undefined && q.min > q.max) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["min"], message: `must be at most max (${q.max})` });
  });
export type MetricQuery = z.infer<typeof query>;

const external = z
  .object({
    name: z.string().min(1),
    url: z.string().url({ message: "must be an http(s) URL" }).optional(),
    tcp: z.string().regex(/^[^:\s]+:\d{1,5}$/, { message: "must be host:port" }).optional(),
  })
  .strict()
  .refine((e) => Boolean(e.url) !== Boolean(e.tcp), { message: "each external endpoint needs exactly one of url or tcp" });

export const gateConfigSchema = z
  .object({
    /** Checks the gate runs. Defaults to every check the target can run (resolved with the target). */
    checks: z.array(z.enum(CHECK_NAMES, { errorMap: () => ({ message: `must be among ${CHECK_NAMES.join(", ")}` }) })).optional(),
    timeoutSeconds: num(1, 3600, " seconds").default(90),
    intervalSeconds: num(0.1, 60, " seconds").default(1),
    retries: num(0, 20, "").default(2),
    api: z
      .object({
        path: z.string().startsWith("/", { message: "must start with /" }).default("/healthz"),
        expectStatus: num(100, 599, "").default(200),
        /** A JSON field of the body and the value it must have (e.g. status = ok). */
        expectField: z.string().default("status"),
        expectValue: z.string().default("ok"),
        latencyBudgetMs: num(1, 60000, " ms").default(500),
      })
      .strict()
      .default({}),
    database: z.object({ maxPoolSaturationPercent: num(1, 100, "%").default(80) }).strict().default({}),
    external: z.array(external).default([]),
    // The three sections below have no zod defaults: a stack that does not set them keeps the same
    // gate inputs as before they existed (no gate update on the next `pulumi up`).
    /** Metric queries judged by the `queries` check and by the rollout's live analysis. Defaults to none. */
    queries: z
      .array(query)
      .superRefine((qs, ctx) => {
        const seen = new Set<string>();
        qs.forEach((q, i) => {
          if (seen.has(q.name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, "name"], message: `duplicate query name "${q.name}"` });
          seen.add(q.name);
        });
      })
      .optional(),
    /** Thresholds of the `infrastructure` check (hosts running the color). */
    infrastructure: z
      .object({
        maxCpuPercent: num(0.001, 100, "%").optional(),
        maxMemoryPercent: num(0.001, 100, "%").optional(),
        maxDiskPercent: num(0.001, 100, "%").optional(),
        /** The window CPU busy time is averaged over. */
        cpuWindowSeconds: num(2, 600, " seconds").optional(),
        /** The scrape job of node_exporter in the target's Prometheus ("node-exporter" in kube-prometheus-stack). Defaults to "node". */
        job: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, { message: "must be a Prometheus job name (letters, digits, _ . : -)" }).optional(),
      })
      .strict()
      .optional(),
    /** What the `monitoring` check requires of the metrics source. */
    monitoring: z
      .object({
        /** Rule groups Prometheus must have loaded. Defaults to ["deployment-runbook"] (shipped for the local target). */
        ruleGroups: z.array(z.string().min(1)).optional(),
        /** How long ago each instance's last scrape may be. */
        maxScrapeAgeSeconds: num(1, 600, " seconds").optional(),
        /** How long the check waits for a color that just started to be discovered and scraped. */
        waitSeconds: num(0, 600, " seconds").optional(),
      })
      .strict()
      .optional(),
    analysis: z
      .object({
        /** The longest the analysis sends traffic: it stops as soon as the sequential tests decide. */
        windowSeconds: num(2, 600, " seconds").default(15),
        /** Requests per second the gate sends to each color during the window. */
        syntheticRps: num(0, 500, " requests/s").default(30),
        /** How sure each sequential decision must be: 1 - the chance of failing a release at the limit (and of passing a clearly bad one). */
        confidence: num(0.8, 0.999, "").default(DEFAULT_SEQUENTIAL.confidence),
        /** The error rate the sequential test weighs the SLO limit against: a release this bad is failed with `confidence`. */
        clearlyBadErrorRatePercent: num(0.01, 100, "%").default(DEFAULT_SEQUENTIAL.clearlyBadErrorRatePercent),
        /** The share of requests slower than the latency limit (a p95 allows 5%) that counts as clearly bad. */
        clearlyBadSlowPercent: num(6, 100, "%").default(DEFAULT_SEQUENTIAL.clearlyBadSlowPercent),
        minRequests: num(1, 1e6, "").default(DEFAULT_THRESHOLDS.minRequests),
        maxErrorRatePercent: num(0, 100, "%").default(DEFAULT_THRESHOLDS.maxErrorRatePercent),
        minSuccessRatePercent: num(0, 100, "%").default(DEFAULT_THRESHOLDS.minSuccessRatePercent),
        p95LatencyMs: num(1, 60000, " ms").default(DEFAULT_THRESHOLDS.p95LatencyMs),
        maxErrorRateIncreasePp: num(0, 100, " percentage points").default(DEFAULT_THRESHOLDS.maxErrorRateIncreasePp),
        maxLatencyIncreasePercent: num(0, 1000, "%").default(DEFAULT_THRESHOLDS.maxLatencyIncreasePercent),
      })
      .strict()
      .superRefine((a, ctx) => {
        // The test weighs the limit against a worse rate; at or below the limit there is nothing to weigh.
        // The message names the key that moved: a clearly-bad rate lowered, or an SLO raised to it.
        const limit = errorRateLimitPercent({ ...DEFAULT_THRESHOLDS, ...a });
        const bad = a.clearlyBadErrorRatePercent;
        if (bad > limit.percent) return;
        const why = "the error rate the sequential test weighs the SLO against";
        const issue = (key: string, message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message });
        if (bad !== DEFAULT_SEQUENTIAL.clearlyBadErrorRatePercent) {
          issue("clearlyBadErrorRatePercent", `must be above the error-rate SLO limit, ${+limit.percent.toFixed(6)}% (${limit.bySuccessRate ? "100 - minSuccessRatePercent" : "maxErrorRatePercent"})`);
        } else if (limit.bySuccessRate) {
          issue("minSuccessRatePercent", `must be above ${+(100 - bad).toFixed(6)}% (100 - gates.analysis.clearlyBadErrorRatePercent, ${why}): raise that rate too`);
        } else {
          issue("maxErrorRatePercent", `must be below gates.analysis.clearlyBadErrorRatePercent (${bad}%, ${why}): raise that too`);
        }
      })
      .default({}),
  })
  .strict()
  .default({});

/** The `gates.*` config once resolved against the target: `checks` is always set. */
export type GateConfig = Omit<z.infer<typeof gateConfigSchema>, "checks"> & { checks: CheckName[] };
