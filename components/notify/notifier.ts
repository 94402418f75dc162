// Which rollout events notify, with which template and fields, and the queues that deliver them.
// Failures first: a failed step (a gate stopped the promotion), an abort, a rollback and a stuck
// lock each get their own template; then the runbook's deployment starting and deployment
// complete; every other event a short line. Analysis windows that pass or are inconclusive do not
// notify (one comes every few seconds; a breach does, and an inconclusive window pauses the
// rollout, which does). The notifier is the event sink's `afterEmit`: it runs after the event is in
// the history, so nothing is announced before it happened, and it only queues, so an event (a
// rollback) never waits for a receiver.
import { RolloutEvent, formatEvent } from "../rollout/events";
import { formatDuration, parseDuration } from "../rollout/duration";
import type { LockHolder } from "../rollout/lock";
import { RolledBack, eventsOfRollback, postmortemId, withUnit } from "../rollout/postmortem";
import type { ColorFigures, Trigger } from "../rollout/verdict";
import type { Traffic } from "../types";
import type { NotifyConfig } from "./notify-config";
import { QueueOptions, SendQueue } from "./sender";
import { signedHeaders, webhookBody } from "./signed-webhook";
import { slackPayload } from "./slack";
import { BUILT_IN, Fields, TEMPLATE_FIELDS, TemplateName, Templates, render } from "./templates";

/** A rollout lock whose process is gone, found by a command that needed the stack. Not a rollout event: never in the history. */
export interface StuckLockEvent {
  type: "stuck-lock";
  at: string;
  stack: string;
  holder: LockHolder;
  /** Which command found it and what it did ("npm run deploy (refused)"). */
  found: string;
}

export type NoticeEvent = RolloutEvent | StuckLockEvent;

export interface Notification {
  template: TemplateName;
  /** A failed step, an abort, a rollback or a stuck lock. */
  failure: boolean;
  event: NoticeEvent;
  text: string;
  /** The template's fields that have a value, in TEMPLATE_FIELDS order. */
  fields: Record<string, string>;
}

/** What the fields need besides the event. */
export interface NotifyContext {
  onCall?: string;
  dashboardUrl?: string;
  incidentUrl?: string;
  /** The stack's earlier events (its history), for what an event does not repeat: the start, the trigger, the figures. Defaults to none. */
  history?: readonly unknown[];
}

export const FAILURE_TEMPLATES: readonly TemplateName[] = ["promotion-stopped", "rollout-aborted", "rollback", "stuck-lock"];

/** The runbook's action items after a rollback. */
export const ACTION_ITEMS = ["Root cause analysis", "Fix identified issue", "Re-test in staging", "Schedule re-deployment"] as const;

export const ON_CALL_UNSET = "not set (notifications.onCall)";

/** The template of `e`'s notification; undefined when `e` does not notify. */
export function templateFor(e: NoticeEvent): TemplateName | undefined {
  switch (e.type) {
    case "failed":
      return "promotion-stopped";
    case "aborted":
      return "rollout-aborted";
    case "rolled-back":
      return "rollback";
    case "stuck-lock":
      return "stuck-lock";
    case "started":
      return "deployment-starting";
    case "completed":
      return "deployment-complete";
    case "analysis":
      return e.verdict === "breach" ? "rollout-event" : undefined;
    default:
      return "rollout-event";
  }
}

type Of<T extends RolloutEvent["type"]> = Extract<RolloutEvent, { type: T }>;

const time = (at: string) => {
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? at : `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
};
const split = (t?: Traffic) => (t ? `blue ${t.blue}% / green ${t.green}%` : "not recorded");
const fig = (f?: ColorFigures) => (f ? `${f.color} ${f.version}: ${f.errorRatePercent.toFixed(2)}% errors (${f.errors} of ${f.requests} requests), p95 ${f.p95LatencyMs === null ? "-" : `${f.p95LatencyMs.toFixed(1)} ms`}` : undefined);
const other = (color: string) => (color === "blue" ? "green" : "blue");
const last = <T extends RolloutEvent["type"]>(events: readonly RolloutEvent[], type: T): Of<T> | undefined => events.filter((x): x is Of<T> => x.type === type).pop();
const cut = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

/** The events of `e`'s rollout recorded before it (the history holds `e` too: it is left out). */
function priorOf(history: readonly unknown[], e: RolloutEvent): RolloutEvent[] {
  const mine = history.filter((x): x is RolloutEvent => typeof x === "object" && x !== null && (x as RolloutEvent).rolloutId === e.rolloutId);
  for (let i = mine.length - 1; i >= 0; i--) if (mine[i].type === e.type && mine[i].at === e.at) return mine.slice(0, i);
  return mine;
}

function trigger(t: Trigger | undefined): Fields {
  return t ? { metric: t.metric, value: withUnit(t.value, t.unit), limit: withUnit(t.limit, t.unit) } : {};
}

function rollbackPlan(stack: string, stable?: { color: string; version: string }): string {
  const to = stable ? `${stable.color} ${stable.version}` : "the stable color";
  return `Blue-green switch to ${to} (instant): automatic on a rollback trigger, or npm run rollback -- --env ${stack}`;
}

function startedFields(e: Of<"started">): Fields {
  const pauses = e.steps.filter((s) => s < 100).length;
  const pauseMs = parseDuration(e.pause);
  const bakeMs = parseDuration(e.bake) ?? 0;
  const duration =
    pauseMs === undefined
      ? `at least ${formatDuration(bakeMs)} (the bake) after ${pauses} manual pause${pauses === 1 ? "" : "s"} (each until npm run rollout -- promote), plus one up per step`
      : `~${formatDuration(pauses * pauseMs + bakeMs)} (${pauses} pause${pauses === 1 ? "" : "s"} of ${e.pause}, bake ${e.bake}), plus one up per step`;
  return {
    version: e.version,
    stable: `${e.stable.color} ${e.stable.version}`,
    duration,
    impact: `No expected downtime: ${e.canary} takes ${e.steps[0]}% of requests first; ${e.stable.color} serves the rest and stays the instant rollback target`,
    changes: e.message ? e.message.split("\n").map((l) => `- ${l}`).join("\n") : `- ${e.stable.version} → ${e.version} (no change list given: npm run deploy -- --message "...")`,
    steps: `${e.steps.join("%, ")}% of requests to ${e.canary}`,
    rollbackPlan: rollbackPlan(e.stack, e.stable),
    command: e.command,
  };
}

function completedFields(e: Of<"completed">, prior: RolloutEvent[]): Fields {
  const windows = prior.filter((x): x is Of<"analysis"> => x.type === "analysis");
  const passed = windows.filter((x) => x.verdict === "pass");
  const steps = prior.filter((x) => x.type === "step-applied").length;
  const a = passed[passed.length - 1];
  return {
    version: `${e.version} on ${e.canary}`,
    status: "Successful",
    duration: formatDuration(e.durationMs),
    healthChecks: windows.length ? `All passing ✓ (the gate before each of ${steps} step${steps === 1 ? "" : "s"}; ${passed.length} of ${windows.length} analysis windows passed)` : "All passing ✓ (the gate before each step and every analysis window)",
    metrics: a ? `Within normal range: canary ${fig(a.canary)}${a.baseline ? `; baseline ${fig(a.baseline)}` : ""}` : "Within normal range (no window figures recorded)",
    nextCheck: "T+30 minutes",
    rollbackTarget: `${e.stable.color} ${e.stable.version} (npm run rollback -- --env ${e.stack})`,
  };
}

function rolledBackFields(e: RolledBack, history: readonly unknown[]): Fields {
  const events = eventsOfRollback(history, e).slice(0, -1);
  // After an earlier rollback of the same rollout, only what followed it led to this one.
  const segment = events.slice(events.map((x) => x.type).lastIndexOf("rolled-back") + 1);
  const started = last(events, "started");
  const aborted = last(segment, "aborted");
  const failed = last(segment, "failed");
  const analysis = last(segment, "analysis");
  const fromColor = started?.canary ?? other(e.to.color);
  const from = e.before?.versions[fromColor as "blue" | "green"] ?? started?.version ?? (e.version !== e.to.version ? e.version : undefined) ?? "(version not recorded)";
  const moved = segment.filter((x): x is Of<"step-applied"> => x.type === "step-applied").pop();
  const before = e.before?.traffic ?? moved?.traffic;
  const decidedBy = aborted?.by === "analysis" ? "the live analysis (automatic rollback)" : aborted ? `${aborted.by} (rollout abort)` : failed ? "a failed step (automatic rollback)" : "a person (npm run rollback)";
  return {
    version: `${from} → ${e.to.version}`,
    fromVersion: from,
    toVersion: e.to.version,
    reason: e.reason,
    ...trigger(aborted?.trigger),
    baseline: fig(analysis?.baseline),
    canary: fig(analysis?.canary),
    decidedBy,
    status: e.traffic[e.to.color as "blue" | "green"] === 100 ? `System stable on ${e.to.version} (${e.to.color} serves 100%)` : `${e.to.color} ${e.to.version} serves ${split(e.traffic)}`,
    duration: `${e.routerMs !== undefined ? `router switched in ${e.routerMs} ms, ` : ""}converged in ${(e.convergeMs / 1000).toFixed(1)} s`,
    traffic: `${split(before)} → ${split(e.traffic)}`,
    actionItems: ACTION_ITEMS.map((a) => `- [ ] ${a}`).join("\n"),
    postmortem: `npm run postmortem -- --env ${e.stack} --id ${postmortemId(e)}`,
  };
}

function failedFields(e: Of<"failed">, prior: RolloutEvent[]): Fields {
  const started = last(prior, "started");
  const stable = started ? `${started.stable.color} ${started.stable.version}` : "the stable color";
  const moved = prior.some((x) => x.type === "step-applied");
  return {
    version: e.version,
    step: e.step > 0 ? String(e.step) : "0 (deploying to the idle color)",
    // A gate's report can be long; the postmortem and the engine log keep all of it.
    reason: cut(e.reason, 1500),
    traffic: moved ? `rolling back what earlier steps moved: ${stable} takes 100% again` : `unchanged: nothing took traffic yet (${stable} serves 100%)`,
    rollbackPlan: rollbackPlan(e.stack, started?.stable),
  };
}

function abortedFields(e: Of<"aborted">, prior: RolloutEvent[]): Fields {
  const started = last(prior, "started");
  const analysis = last(prior, "analysis");
  return {
    version: e.version,
    step: String(e.step),
    by: e.by,
    reason: e.reason,
    ...trigger(e.trigger),
    baseline: fig(analysis?.baseline),
    canary: fig(analysis?.canary),
    next: `rolling back to ${started ? `${started.stable.color} ${started.stable.version}` : "the stable color"} now (a rollback notification follows)`,
  };
}

function stuckLockFields(e: StuckLockEvent): Fields {
  return {
    holder: e.holder.holder,
    pid: String(e.holder.pid),
    since: time(e.holder.since),
    lockMessage: JSON.stringify(e.holder.message),
    found: e.found,
    resolve: `npm run rollout -- status --env ${e.stack} to see where it stopped; npm run rollback -- --env ${e.stack} --take-over (takes the lock, the stable color serves 100%), or npm run lock -- release --env ${e.stack} once nothing is half done`,
  };
}

/** Every field of `e`'s notification that has a value. */
export function fieldsFor(e: NoticeEvent, ctx: NotifyContext = {}): Fields {
  const history = ctx.history ?? [];
  const common: Fields = { stack: e.stack, time: time(e.at), onCall: ctx.onCall ?? ON_CALL_UNSET, dashboardUrl: ctx.dashboardUrl, incidentUrl: ctx.incidentUrl };
  if (e.type === "stuck-lock") return { ...common, ...stuckLockFields(e) };
  const prior = priorOf(history, e);
  switch (e.type) {
    case "started":
      return { ...common, ...startedFields(e) };
    case "completed":
      return { ...common, ...completedFields(e, prior) };
    case "rolled-back":
      return { ...common, ...rolledBackFields(e, history) };
    case "failed":
      return { ...common, ...failedFields(e, prior) };
    case "aborted":
      return { ...common, ...abortedFields(e, prior) };
    default:
      return { ...common, version: e.version, event: e.type, summary: formatEvent(e).replace(/^\d{2}:\d{2}:\d{2} /, "") };
  }
}

/** `e`'s notification, or undefined when `e` does not notify. Pure. */
export function notificationFor(e: NoticeEvent, ctx: NotifyContext = {}, templates: Templates = BUILT_IN): Notification | undefined {
  const template = templateFor(e);
  if (!template) return undefined;
  const all = fieldsFor(e, ctx);
  const fields: Record<string, string> = {};
  for (const name of TEMPLATE_FIELDS[template]) if (all[name] !== undefined) fields[name] = all[name]!;
  return { template, failure: FAILURE_TEMPLATES.includes(template), event: e, text: render(templates[template], fields), fields };
}

export interface NotifierOptions {
  config: NotifyConfig;
  templates?: Templates;
  /** The stack's history when a notification is built (read again each time: another process may have written to it). Defaults to the events this notifier saw. */
  history?: () => readonly unknown[];
  /** Where a notification that could not be built or delivered is reported. Defaults to stderr. */
  log?: (line: string) => void;
  /** Overrides of the queues' options (the tests' backoff and clock). */
  queue?: Partial<Omit<QueueOptions, "url" | "name">>;
}

export interface FlushResult {
  sent: number;
  failed: number;
  /** Not sent within the bound (still queued or in flight when it ran out). */
  dropped: number;
  ms: number;
}

/** Builds notifications from events and queues them to the configured receivers. */
export class Notifier {
  private readonly slack?: SendQueue;
  private readonly webhook?: SendQueue;
  private readonly seen: RolloutEvent[] = [];

  constructor(private readonly o: NotifierOptions) {
    const c = o.config;
    const common = { timeoutMs: c.timeoutMs, retries: c.retries, log: o.log, ...o.queue };
    if (c.slackWebhookUrl) this.slack = new SendQueue({ ...common, url: c.slackWebhookUrl, name: "slack" });
    // The schema requires the key with the URL; without it nothing is sent unsigned.
    if (c.webhookUrl && c.signingKey) this.webhook = new SendQueue({ ...common, url: c.webhookUrl, name: "webhook" });
  }

  private get queues(): SendQueue[] {
    return [this.slack, this.webhook].filter((q): q is SendQueue => q !== undefined);
  }

  /** Whether any receiver is configured. */
  get enabled(): boolean {
    return this.queues.length > 0;
  }

  /** Queues `e`'s notification to every receiver; returns at once and never throws. */
  notify(e: NoticeEvent): void {
    try {
      if (e.type !== "stuck-lock") this.seen.push(e);
      if (!this.enabled) return;
      const c = this.o.config;
      const template = templateFor(e);
      if (!template) return;
      const history = template === "rollout-event" || template === "stuck-lock" ? [] : this.historyFor(e);
      const n = notificationFor(e, { onCall: c.onCall, dashboardUrl: c.dashboardUrl, incidentUrl: c.incidentUrl, history }, this.o.templates);
      if (!n) return;
      const label = `${n.template} (${e.type} in ${e.stack})`;
      if (this.slack) {
        const body = JSON.stringify(slackPayload(n));
        this.slack.enqueue({ label, build: () => ({ body, headers: {} }) });
      }
      if (this.webhook) {
        const body = webhookBody(n);
        const key = c.signingKey!;
        this.webhook.enqueue({ label, build: (now) => ({ body, headers: signedHeaders(body, key, now) }) });
      }
    } catch (x) {
      this.say(`warning: no notification of the ${e.type} event: ${(x as Error).message}`);
    }
  }

  /** The event sink's `afterEmit`. */
  readonly afterEmit = (e: RolloutEvent): undefined => {
    this.notify(e);
    return undefined;
  };

  /**
   * Waits until every queued notification was delivered or given up on, for at most `boundMs`;
   * then stops the rest (dropped, one line says how many). For a command's exit.
   */
  async flush(boundMs: number): Promise<FlushResult> {
    const t0 = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const idle = Promise.all(this.queues.map((q) => q.idle()));
    // This timer is what keeps the process alive while it waits: the sends themselves do not.
    await Promise.race([idle, new Promise<void>((r) => (timer = setTimeout(r, boundMs)))]);
    clearTimeout(timer);
    const behind = this.queues.filter((q) => q.pending > 0).map((q) => q.receiver);
    for (const q of this.queues) q.close();
    const total = this.queues.reduce((s, q) => ({ sent: s.sent + q.stats.sent, failed: s.failed + q.stats.failed, dropped: s.dropped + q.stats.dropped }), { sent: 0, failed: 0, dropped: 0 });
    if (total.dropped) this.say(`warning: ${total.dropped} notification${total.dropped === 1 ? "" : "s"} not sent within the ${boundMs} ms bound at exit (${behind.join(", ") || "receivers"}: slow or unreachable)`);
    return { ...total, ms: Date.now() - t0 };
  }

  /**
   * The events `e`'s fields are built from. This process's own when it saw the rollout start (an
   * abort by the analysis is followed by the rollback at once: no file is read in between); the
   * history file when another process started it (`rollout abort`, `npm run rollback`).
   */
  private historyFor(e: NoticeEvent): readonly unknown[] {
    const ownStart = e.type !== "stuck-lock" && this.seen.some((x) => x.type === "started" && x.rolloutId === e.rolloutId);
    if (ownStart || !this.o.history) return this.seen;
    try {
      return this.o.history();
    } catch {
      return this.seen;
    }
  }

  private say(line: string): void {
    try {
      (this.o.log ?? ((l) => process.stderr.write(`${l}\n`)))(line);
    } catch {
      // nowhere left to say it
    }
  }
}
