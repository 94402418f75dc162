// The runbook's rollback triggers, judged on one window of live metrics during a pause or the bake:
// error rate > 1%, canary error rate > baseline + 1 pp, p95 > baseline + 10% (soft: it must hold
// for a few windows in a row, since one window's p95 is noisy), p95 > baseline + 50% (hard: the
// runbook's "performance degradation > 50%"), a failing health check, a crash-looping instance.
// Pure: the live analysis gathers the figures, this decides. A limit that is met exactly passes.
//
// The error-rate triggers are also judged sequentially on everything served since the step (the
// gate's SPRT, components/gates/sequential.ts): H0 "the canary errs at the limit" against H1 "at
// clearlyBadErrorRatePercent". Only a rejection matters here (a pause ends on its timer, never on
// an acceptance), and by Ville's inequality a release at the limit is rolled back by it with at
// most 1 - confidence chance over the whole step, however many windows are judged. It needs no
// minRequests: a clearly bad canary is rolled back even while its windows are too thin to judge.
import { MetricSample, errorRatePercent } from "../gates/analysis";
import type { QueryJudgement } from "../gates/query-judge";
import type { ColorCounts } from "../gates/counts";
import { binomialLlr, confidenceText, DEFAULT_SEQUENTIAL, sprtBounds } from "../gates/sequential";
import { DEFAULT_CLEARLY_BAD_ERROR_RATE_PERCENT, type LiveAnalysisConfig } from "./rollout-config";

export type TriggerMetric = "error-rate" | "error-rate-increase" | "p95-latency" | "health" | "crash-loop" | "query";

/** One rollback trigger that fired: which metric, what was seen, what was allowed. */
export interface Trigger {
  metric: TriggerMetric;
  value: number;
  limit: number;
  /** "" for a stack's own query (`gates.queries`): its value has whatever unit its PromQL gives. */
  unit: "%" | "pp" | "ms" | "failing" | "restarts" | "";
  /** A hard trigger rolls back at once; a soft one only after `consecutiveBreaches` windows. */
  hard: boolean;
  message: string;
}

/** Figures of one color in the window, as events and `rollout status` show them. */
export interface ColorFigures {
  color: string;
  version: string;
  requests: number;
  errors: number;
  errorRatePercent: number;
  p95LatencyMs: number | null;
}

/** What the live analysis saw in one window besides the metrics. */
export interface InstanceSignals {
  /** Health checks of the canary that failed, each saying what was seen ("instance 1: /healthz 503"). */
  failingHealth: string[];
  /** Restarts of canary instances since the step was applied (supervisord, kubelet...). */
  restarts: number;
  /** Canary instances not running (backoff, fatal, exited). */
  notRunning: string[];
}

export type Thresholds = Pick<
  LiveAnalysisConfig,
  "minRequests" | "maxErrorRatePercent" | "maxErrorRateIncreasePp" | "maxLatencyIncreasePercent" | "hardLatencyIncreasePercent"
> & Partial<Pick<LiveAnalysisConfig, "latencyToleranceMs" | "confidence" | "clearlyBadErrorRatePercent">>;

/** Everything each color served since the step, for the sequential error-rate triggers. */
export interface SinceStep {
  canary: ColorCounts;
  baseline?: ColorCounts;
}

export type WindowVerdict =
  | { verdict: "pass"; triggers: []; notes: string[]; canary: ColorFigures; baseline?: ColorFigures }
  | { verdict: "breach"; triggers: Trigger[]; notes: string[]; canary?: ColorFigures; baseline?: ColorFigures }
  | { verdict: "inconclusive"; reason: string; triggers: []; notes: string[]; canary?: ColorFigures; baseline?: ColorFigures };

/** Restarts in one window that make an instance crash-looping rather than restarted once. */
export const CRASH_LOOP_RESTARTS = 2;

export function figures(color: string, version: string, s: MetricSample): ColorFigures {
  return {
    color,
    version,
    requests: s.requests,
    errors: s.errors,
    errorRatePercent: round(errorRatePercent(s), 3),
    p95LatencyMs: Number.isFinite(s.p95LatencyMs) && s.requests > 0 ? round(s.p95LatencyMs, 2) : null,
  };
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
const pct = (v: number) => `${v.toFixed(2)}%`;
const ms = (v: number) => `${v.toFixed(1)} ms`;

/**
 * The sequential error-rate triggers on the counts since the step: the absolute limit, and the
 * baseline's rate plus maxErrorRateIncreasePp once the baseline served minRequests since the step.
 * H1 sits clearlyBadErrorRatePercent - maxErrorRatePercent above each H0.
 */
export function sequentialErrorTriggers(canary: { color: string; version: string }, baselineColor: string | undefined, since: SinceStep, t: Thresholds): Trigger[] {
  const confidence = t.confidence ?? DEFAULT_SEQUENTIAL.confidence;
  const margin = (t.clearlyBadErrorRatePercent ?? DEFAULT_CLEARLY_BAD_ERROR_RATE_PERCENT) - t.maxErrorRatePercent;
  const bound = sprtBounds(1 - confidence, 1 - confidence).reject;
  const { requests: n, errors: k } = since.canary;
  const rate = n > 0 ? (k / n) * 100 : 0;
  const rejects = (limitPercent: number) => limitPercent < 100 && margin > 0 && binomialLlr(n, k, limitPercent / 100, Math.min(limitPercent + margin, (100 + limitPercent) / 2) / 100) >= bound;
  const seen = `over the ${n} requests since the step (${canary.color} ${canary.version}: ${k} errors; ${confidenceText(confidence)})`;
  if (rejects(t.maxErrorRatePercent)) {
    return [{ metric: "error-rate", value: round(rate, 3), limit: t.maxErrorRatePercent, unit: "%", hard: true, message: `error rate ${pct(rate)} > ${pct(t.maxErrorRatePercent)} limit ${seen}` }];
  }
  const b = since.baseline;
  if (!b || b.requests < t.minRequests) return [];
  const baseRate = (b.errors / b.requests) * 100;
  const allowed = round(baseRate + t.maxErrorRateIncreasePp, 3);
  if (!rejects(allowed)) return [];
  return [{ metric: "error-rate-increase", value: round(rate, 3), limit: allowed, unit: "%", hard: true, message: `error rate ${pct(rate)} > ${pct(allowed)} limit (baseline ${baselineColor} ${pct(baseRate)} + ${t.maxErrorRateIncreasePp} pp) ${seen}` }];
}

/**
 * Judges one window. Instance signals are judged first and need no metrics: a crash loop or a
 * failing health check rolls back even when the metrics source is quiet. So do the sequential
 * error-rate triggers, given the counts since the step. Metrics too thin to judge are
 * inconclusive, never a pass.
 */
export function judgeWindow(
  canary: { color: string; version: string; sample?: MetricSample; unreadable?: string },
  baseline: { color: string; version: string; sample?: MetricSample } | undefined,
  signals: InstanceSignals,
  t: Thresholds,
  sinceStep?: SinceStep,
  queries: QueryJudgement[] = [],
): WindowVerdict {
  const triggers: Trigger[] = [];
  const notes: string[] = [];
  // The stack's own queries (gates.queries) need no request counts: a breach is soft, so it rolls
  // back once it held `consecutiveBreaches` windows, like the latency rule.
  for (const q of queries) {
    if (q.status === "fail") triggers.push({ metric: "query", value: q.value, limit: q.limit, unit: "", hard: false, message: `${q.message} (${canary.color} ${canary.version})` });
  }
  const unsureQueries = queries.filter((q) => q.status === "inconclusive").map((q) => q.message);
  if (signals.restarts >= CRASH_LOOP_RESTARTS || signals.notRunning.length) {
    const what = signals.notRunning.length ? `${signals.notRunning.join(", ")} not running` : `${signals.restarts} restarts`;
    triggers.push({ metric: "crash-loop", value: signals.restarts, limit: CRASH_LOOP_RESTARTS - 1, unit: "restarts", hard: true, message: `crash-looping instance: ${what} (${canary.color} ${canary.version}; at most ${CRASH_LOOP_RESTARTS - 1} restart allowed)` });
  }
  if (signals.failingHealth.length) {
    triggers.push({ metric: "health", value: signals.failingHealth.length, limit: 0, unit: "failing", hard: true, message: `health check failing: ${signals.failingHealth.join("; ")} (${canary.color} ${canary.version})` });
  }
  if (sinceStep) triggers.push(...sequentialErrorTriggers(canary, baseline?.color, sinceStep, t));
  const c = canary.sample ? figures(canary.color, canary.version, canary.sample) : undefined;
  const b = baseline?.sample ? figures(baseline.color, baseline.version, baseline.sample) : undefined;
  if (!canary.sample || !c) {
    return triggers.length ? { verdict: "breach", triggers, notes, baseline: b } : { verdict: "inconclusive", reason: `metrics unavailable: ${canary.unreadable ?? "no sample"}`, triggers: [], notes, baseline: b };
  }
  if (c.requests < t.minRequests) {
    return triggers.length
      ? { verdict: "breach", triggers, notes, canary: c, baseline: b }
      : { verdict: "inconclusive", reason: `only ${c.requests} requests to ${c.color} ${c.version} in the window, at least ${t.minRequests} needed`, triggers: [], notes, canary: c, baseline: b };
  }
  // One trigger per mistake: a sequential one already fired says it.
  const errorTriggered = () => triggers.some((x) => x.metric === "error-rate" || x.metric === "error-rate-increase");
  if (c.errorRatePercent > t.maxErrorRatePercent && !errorTriggered()) {
    triggers.push({ metric: "error-rate", value: c.errorRatePercent, limit: t.maxErrorRatePercent, unit: "%", hard: true, message: `error rate ${pct(c.errorRatePercent)} > ${pct(t.maxErrorRatePercent)} limit (${c.color} ${c.version}: ${c.errors} of ${c.requests} requests)` });
  }
  if (!b || b.requests < t.minRequests) {
    notes.push(`baseline ${baseline ? `${baseline.color} ${baseline.version} served ${b?.requests ?? 0} requests (at least ${t.minRequests} needed)` : "absent"}: canary-vs-baseline rules not applied`);
  } else {
    const allowed = round(b.errorRatePercent + t.maxErrorRateIncreasePp, 3);
    // One trigger per mistake: the relative rule adds something only when the absolute one held.
    if (c.errorRatePercent > allowed && !errorTriggered()) {
      triggers.push({ metric: "error-rate-increase", value: c.errorRatePercent, limit: allowed, unit: "%", hard: true, message: `error rate ${pct(c.errorRatePercent)} > ${pct(allowed)} limit (baseline ${b.color} ${pct(b.errorRatePercent)} + ${t.maxErrorRateIncreasePp} pp)` });
    }
    if (c.p95LatencyMs !== null && b.p95LatencyMs !== null) {
      // A p95 read from histogram buckets cannot tell apart values within about one bucket (2.5-5 ms
      // around the sample service's 5-15 ms), so neither rule fires below baseline + the tolerance:
      // a good release once read 11.5 ms against 7.5 ms over 84 requests on a busy 2-core machine.
      const tol = t.latencyToleranceMs ?? 0;
      const hard = round(Math.max(b.p95LatencyMs * (1 + t.hardLatencyIncreasePercent / 100), b.p95LatencyMs + tol), 2);
      const soft = round(Math.max(b.p95LatencyMs * (1 + t.maxLatencyIncreasePercent / 100), b.p95LatencyMs + tol), 2);
      if (c.p95LatencyMs > hard) {
        triggers.push({ metric: "p95-latency", value: c.p95LatencyMs, limit: hard, unit: "ms", hard: true, message: `p95 latency ${ms(c.p95LatencyMs)} > ${ms(hard)} limit (baseline ${b.color} ${ms(b.p95LatencyMs)} + ${t.hardLatencyIncreasePercent}%, at least + ${tol} ms: degradation)` });
      } else if (c.p95LatencyMs > soft) {
        triggers.push({ metric: "p95-latency", value: c.p95LatencyMs, limit: soft, unit: "ms", hard: false, message: `p95 latency ${ms(c.p95LatencyMs)} > ${ms(soft)} limit (baseline ${b.color} ${ms(b.p95LatencyMs)} + ${t.maxLatencyIncreasePercent}%, at least + ${tol} ms)` });
      }
    } else {
      notes.push("no p95 for one color: latency rule not applied");
    }
  }
  if (triggers.length) return { verdict: "breach", triggers, notes, canary: c, baseline: b };
  // A query with no answer is no evidence: the window is inconclusive, never a pass.
  if (unsureQueries.length) return { verdict: "inconclusive", reason: unsureQueries.join("; "), triggers: [], notes, canary: c, baseline: b };
  return { verdict: "pass", triggers: [], notes, canary: c, baseline: b };
}

export type Decision = { action: "continue" } | { action: "rollback"; trigger: Trigger } | { action: "inconclusive"; reason: string };

/**
 * Turns window verdicts into decisions: any hard trigger rolls back at once; soft triggers roll back
 * once they held `consecutiveBreaches` windows in a row (a pass in between resets the count).
 */
export class BreachTracker {
  private soft = 0;
  constructor(private readonly consecutiveBreaches: number) {}

  /**
   * `warming`: the first window after a step. A canary instance that just took traffic answers its
   * first requests slowly (a good release once read p95 32 ms against 9.8 ms there), so a latency
   * trigger counts as soft until the window is full; errors, health and crash loops stay hard.
   */
  decide(v: WindowVerdict, opts: { warming?: boolean } = {}): Decision {
    if (v.verdict === "inconclusive") return { action: "inconclusive", reason: v.reason };
    if (v.verdict === "pass") {
      this.soft = 0;
      return { action: "continue" };
    }
    const hard = v.triggers.find((t) => t.hard && !(opts.warming && t.metric === "p95-latency"));
    if (hard) return { action: "rollback", trigger: hard };
    this.soft++;
    return this.soft >= this.consecutiveBreaches ? { action: "rollback", trigger: v.triggers[0] } : { action: "continue" };
  }

  /** Soft breaches in a row so far. */
  get softBreaches(): number {
    return this.soft;
  }
}

/** The line an aborted rollout ends with: "rolled back: error rate 4.80% > 1.00% limit (...)". */
export function describeTrigger(t: Trigger): string {
  return `${t.metric}: ${t.message}`;
}
