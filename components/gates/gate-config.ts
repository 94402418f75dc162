// The `gates.*` section of the stack config: which checks a health gate runs and their thresholds.
// Option names carry their units.
import { z } from "zod";
import { DEFAULT_THRESHOLDS } from "./analysis";

const num = (min: number, max: number, unit: string) =>
  z.preprocess(
    (v) => (typeof v === "string" && v.trim() !== "" && !isNaN(Number(v)) ? Number(v) : v),
    z.number({ invalid_type_error: `must be a number from ${min} to ${max}${unit}` }).min(min, { message: `must be a number from ${min} to ${max}${unit}` }).max(max, { message: `must be a number from ${min} to ${max}${unit}` }),
  );

export const CHECK_NAMES = ["api", "database", "cache", "external", "error-rate", "latency"] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

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
    analysis: z
      .object({
        windowSeconds: num(2, 600, " seconds").default(10),
        /** Requests per second the gate sends to each color during the window. */
        syntheticRps: num(0, 500, " requests/s").default(30),
        minRequests: num(1, 1e6, "").default(DEFAULT_THRESHOLDS.minRequests),
        maxErrorRatePercent: num(0, 100, "%").default(DEFAULT_THRESHOLDS.maxErrorRatePercent),
        minSuccessRatePercent: num(0, 100, "%").default(DEFAULT_THRESHOLDS.minSuccessRatePercent),
        p95LatencyMs: num(1, 60000, " ms").default(DEFAULT_THRESHOLDS.p95LatencyMs),
        maxErrorRateIncreasePp: num(0, 100, " percentage points").default(DEFAULT_THRESHOLDS.maxErrorRateIncreasePp),
        maxLatencyIncreasePercent: num(0, 1000, "%").default(DEFAULT_THRESHOLDS.maxLatencyIncreasePercent),
      })
      .strict()
      .default({}),
  })
  .strict()
  .default({});

/** The `gates.*` config once resolved against the target: `checks` is always set. */
export type GateConfig = Omit<z.infer<typeof gateConfigSchema>, "checks"> & { checks: CheckName[] };
