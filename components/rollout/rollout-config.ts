// The `rollout.*` section of the stack config: the defaults of `npm run deploy` (steps, pauses,
// bake) and the live analysis that watches every pause and the bake. The program itself ignores
// the section; it is in the shared schema so a typo in it stops `preview` and `up` like any key.
import { z } from "zod";
import { DEFAULT_SEQUENTIAL } from "../gates/sequential";
import { DURATION_FORMAT, parseDuration, parsePause } from "./duration";
import { STEPS_FORMAT, stepsProblem } from "./steps";

const num = (min: number, max: number, unit: string) =>
  z.preprocess(
    (v) => (typeof v === "string" && v.trim() !== "" && !isNaN(Number(v)) ? Number(v) : v),
    z.number({ invalid_type_error: `must be a number from ${min} to ${max}${unit}` }).min(min, { message: `must be a number from ${min} to ${max}${unit}` }).max(max, { message: `must be a number from ${min} to ${max}${unit}` }),
  );

const duration = () => z.string({ invalid_type_error: `must be ${DURATION_FORMAT}` }).refine((s) => parseDuration(s) !== undefined, { message: `must be ${DURATION_FORMAT}` });

/** H1 of the rollout's sequential error-rate triggers, in percent, against the runbook's 1% limit. */
export const DEFAULT_CLEARLY_BAD_ERROR_RATE_PERCENT = 3;

/** The runbook's rollback triggers and how the live analysis reads them. */
export const liveAnalysisSchema = z
  .object({
    /** How often a window is judged during a pause or the bake. Defaults to 10. */
    intervalSeconds: num(0.5, 600, " seconds").default(10),
    /** How far back each judgement looks. Defaults to 30. */
    windowSeconds: num(2, 3600, " seconds").default(30),
    /** Fewest requests a color must serve in the window to be judged. Defaults to 50. */
    minRequests: num(1, 1e6, "").default(50),
    /** Synthetic requests per second per color, sent only while real traffic is below it. Defaults to 5. */
    floorRps: num(0, 500, " requests/s").default(5),
    /** Runbook: roll back immediately if the canary's error rate exceeds this. Defaults to 1. */
    maxErrorRatePercent: num(0, 100, "%").default(1),
    /** Canary error rate above the baseline's by more than this rolls back. Defaults to 1. */
    maxErrorRateIncreasePp: num(0, 100, " percentage points").default(1),
    /** Canary p95 above the baseline's by more than this, `consecutiveBreaches` windows in a row, rolls back. Defaults to 10. */
    maxLatencyIncreasePercent: num(0, 1000, "%").default(10),
    /** Runbook: "performance degradation > 50%": a p95 this much above the baseline rolls back at once. Defaults to 50. */
    hardLatencyIncreasePercent: num(0, 10000, "%").default(50),
    /** Neither latency rule fires below baseline p95 + this (about one histogram bucket). Defaults to 5. */
    latencyToleranceMs: num(0, 60000, " ms").default(5),
    /** Windows in a row the soft latency rule must breach before it rolls back. Defaults to 2. */
    consecutiveBreaches: num(1, 100, "").default(2),
    /**
     * How sure the sequential error-rate triggers (on everything served since the step) must be: a
     * release at the limit is rolled back by them with at most 1 - this chance per step. Defaults to 0.95.
     */
    confidence: num(0.8, 0.999, "").default(DEFAULT_SEQUENTIAL.confidence),
    /** The error rate those triggers weigh the limit against: a release this bad is rolled back with `confidence`. Defaults to 3. */
    clearlyBadErrorRatePercent: num(0.01, 100, "%").default(DEFAULT_CLEARLY_BAD_ERROR_RATE_PERCENT),
  })
  .strict()
  .superRefine((a, ctx) => {
    // The sequential test weighs the limit against a worse rate; at or below the limit there is
    // nothing to weigh. The message names the key that moved (a default was not set by anyone).
    if (a.clearlyBadErrorRatePercent > a.maxErrorRatePercent) return;
    const issue = (key: string, message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message });
    if (a.clearlyBadErrorRatePercent !== DEFAULT_CLEARLY_BAD_ERROR_RATE_PERCENT) {
      issue("clearlyBadErrorRatePercent", `must be above rollout.analysis.maxErrorRatePercent (${a.maxErrorRatePercent}%)`);
    } else {
      issue("maxErrorRatePercent", `must be below rollout.analysis.clearlyBadErrorRatePercent (${a.clearlyBadErrorRatePercent}%, the error rate the sequential trigger weighs the limit against): raise that too`);
    }
  })
  .default({});

export const rolloutConfigSchema = z
  .object({
    /** The canary's traffic after each step. Defaults to [10, 50, 100]. */
    steps: z
      .array(z.preprocess((v) => (typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v), z.number({ invalid_type_error: `must be ${STEPS_FORMAT}` })), { invalid_type_error: `must be a list: ${STEPS_FORMAT}` })
      .superRefine((steps, ctx) => {
        const problem = stepsProblem(steps);
        if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${problem} (allowed: ${STEPS_FORMAT})` });
      })
      .default([10, 50, 100]),
    /** Pause after each step below 100: a duration, or "manual" to wait for `rollout promote`. Defaults to 5m. */
    pause: z.string().refine((s) => parsePause(s) !== undefined, { message: `must be ${DURATION_FORMAT}, or manual` }).default("5m"),
    /** Watched time at 100% before the rollout completes (the runbook's T+30). Defaults to 30m. */
    bake: duration().default("30m"),
    analysis: liveAnalysisSchema,
  })
  .strict()
  .default({});

export type RolloutConfig = z.infer<typeof rolloutConfigSchema>;
export type LiveAnalysisConfig = z.infer<typeof liveAnalysisSchema>;
