// Rollout events as the controller and the commands record them, for the notification tests: an
// automatic rollback, a completed rollout, a failed step, a manual rollback and a stuck lock.
import type { RolloutEvent } from "../../../components/rollout/events";
import type { StuckLockEvent } from "../../../components/notify/notifier";
import type { NotifyConfig } from "../../../components/notify/notify-config";

export const ROLLOUT_ID = "5d1f0c7a-93b2-4e61-8c0d-2a7b9e4f1c35";
export const SIGNING_KEY = "k3y-for-the-tests-0123456789abcdef";
const base = (at: string, rolloutId = ROLLOUT_ID) => ({ at, stack: "prod", version: "v2.0.0", rolloutId });

export const canary = { color: "green", version: "v2.0.0", requests: 80, errors: 5, errorRatePercent: 6.25, p95LatencyMs: 11.4 };
export const baseline = { color: "blue", version: "v1.0.0", requests: 733, errors: 1, errorRatePercent: 0.136, p95LatencyMs: 8.2 };
export const trigger = { metric: "error-rate" as const, value: 6.25, limit: 1, unit: "%" as const, hard: true, message: "error rate 6.25% > 1.00% limit (green v2.0.0: 5 of 80 requests)" };

export const started = (rolloutId = ROLLOUT_ID): RolloutEvent => ({
  ...base("2026-12-02T06:10:00.000Z", rolloutId),
  type: "started",
  canary: "green",
  stable: { color: "blue", version: "v1.0.0" },
  steps: [10, 50, 100],
  pause: "5m",
  bake: "30m",
  command: "npm run deploy -- --env prod --version v2.0.0",
  message: "Feature: new user dashboard\nFix: payment processing bug",
});

/** Started, the 10% step, a pass, a breach, the abort by the analysis, the rollback. */
export function automaticRollback(): RolloutEvent[] {
  return [
    started(),
    { ...base("2026-12-02T06:11:12.345Z"), type: "step-applied", step: 1, of: 3, traffic: { blue: 90, green: 10 }, upMs: 41_200 },
    { ...base("2026-12-02T06:11:12.400Z"), type: "paused", reason: "timed", step: 1, detail: "for 5m", durationMs: 300_000 },
    { ...base("2026-12-02T06:11:22.500Z"), type: "analysis", phase: "pause", step: 1, verdict: "pass", canary: { ...canary, errors: 0, errorRatePercent: 0 }, baseline, triggers: [], notes: [] },
    { ...base("2026-12-02T06:11:32.600Z"), type: "analysis", phase: "pause", step: 1, verdict: "breach", canary, baseline, triggers: [trigger], notes: [] },
    { ...base("2026-12-02T06:11:32.610Z"), type: "aborted", step: 1, by: "analysis", reason: `error-rate: ${trigger.message}`, trigger },
    { ...base("2026-12-02T06:11:36.900Z"), type: "rolled-back", to: { color: "blue", version: "v1.0.0" }, traffic: { blue: 100, green: 0 }, routerMs: 412, convergeMs: 4290, reason: `error-rate: ${trigger.message}` },
  ];
}

/** A rollout that completed: every step, passing windows, promotions, completed. */
export function completedRollout(): RolloutEvent[] {
  const id = "0a0b0c0d-1111-2222-3333-444455556666";
  const b = (at: string) => base(at, id);
  const pass = { type: "analysis" as const, phase: "pause" as const, verdict: "pass" as const, canary: { ...canary, errors: 0, errorRatePercent: 0.1 }, baseline, triggers: [], notes: [] };
  return [
    started(id),
    { ...b("2026-12-02T07:01:00.000Z"), type: "step-applied", step: 1, of: 3, traffic: { blue: 90, green: 10 }, upMs: 40_000 },
    { ...b("2026-12-02T07:02:00.000Z"), ...pass, step: 1 },
    { ...b("2026-12-02T07:06:00.000Z"), type: "promoted", step: 1, by: "timer", next: 50 },
    { ...b("2026-12-02T07:07:00.000Z"), type: "step-applied", step: 2, of: 3, traffic: { blue: 50, green: 50 }, upMs: 40_000 },
    { ...b("2026-12-02T07:08:00.000Z"), ...pass, step: 2 },
    { ...b("2026-12-02T07:12:00.000Z"), type: "promoted", step: 2, by: "timer", next: 100 },
    { ...b("2026-12-02T07:13:00.000Z"), type: "step-applied", step: 3, of: 3, traffic: { blue: 0, green: 100 }, upMs: 40_000 },
    { ...b("2026-12-02T07:20:00.000Z"), ...pass, phase: "bake", step: 3 },
    { ...b("2026-12-02T07:43:00.000Z"), type: "promoted", step: 3, by: "timer", next: "complete" },
    { ...b("2026-12-02T07:43:00.100Z"), type: "completed", canary: "green", stable: { color: "blue", version: "v1.0.0" }, durationMs: 2_580_100 },
  ];
}

/** The gate of step 2 refused: failed, then what step 1 moved is rolled back. */
export function failedStep(): RolloutEvent[] {
  const id = "f0f0f0f0-aaaa-bbbb-cccc-ddddeeeeffff";
  const b = (at: string) => base(at, id);
  return [
    started(id),
    { ...b("2026-12-02T08:01:00.000Z"), type: "step-applied", step: 1, of: 3, traffic: { blue: 90, green: 10 }, upMs: 40_000 },
    { ...b("2026-12-02T08:07:00.000Z"), type: "failed", step: 2, reason: "step 2 (green 50%) failed: up failed:\nhealth gate green: api /healthz answered 503 (expected 200)" },
    { ...b("2026-12-02T08:07:09.000Z"), type: "rolled-back", to: { color: "blue", version: "v1.0.0" }, traffic: { blue: 100, green: 0 }, routerMs: 380, convergeMs: 9000, reason: "step 2 (green 50%) failed" },
  ];
}

/** `npm run rollback` with no rollout of its own: the event records what served before. */
export const manualRollback = (): RolloutEvent => ({
  at: "2026-12-03T09:00:00.000Z",
  stack: "prod",
  version: "v1.0.0",
  rolloutId: "99999999-8888-7777-6666-555555555555",
  type: "rolled-back",
  to: { color: "blue", version: "v1.0.0" },
  traffic: { blue: 100, green: 0 },
  routerMs: 95,
  convergeMs: 3100,
  reason: "npm run rollback",
  before: { traffic: { blue: 0, green: 100 }, versions: { blue: "v1.0.0", green: "v2.0.0" } },
});

export const stuckLock = (): StuckLockEvent => ({
  type: "stuck-lock",
  at: "2026-12-03T10:00:00.000Z",
  stack: "prod",
  holder: { kind: "rollout", holder: "ana@build-7", pid: 4242, since: "2026-12-03T08:30:00.000Z", message: "deploy v2.0.0 to green" },
  found: "npm run deploy (refused)",
});

/** Every receiver and link configured; each test overrides what it needs. */
export function fullConfig(over: Partial<NotifyConfig> = {}): NotifyConfig {
  return {
    onCall: "@ana",
    dashboardUrl: "https://grafana.example.com/d/prod",
    incidentUrl: "https://incidents.example.com/new?service=app",
    timeoutMs: 2000,
    retries: 3,
    ...over,
  };
}
