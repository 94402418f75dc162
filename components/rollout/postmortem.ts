// The postmortem of one rollback, as Markdown (the runbook: "Document every rollback with
// postmortem"): what was rolled back and why, the rollout's timeline, the weights before and after,
// how fast the rollback was, the gate output there is, then the runbook's three questions and the
// action items for a person to fill in. Pure: rendered from the rollout's events only (they carry
// no secrets, and no stack config is read); postmortem-files.ts reads the history and writes it.
import type { Traffic } from "../types";
import type { RolloutEvent } from "./events";
import type { ColorFigures, Trigger } from "./verdict";

export type RolledBack = Extract<RolloutEvent, { type: "rolled-back" }>;
type Of<T extends RolloutEvent["type"]> = Extract<RolloutEvent, { type: T }>;

/** What a list of postmortems shows; kept in the file's first line so listing reads no history. */
export interface PostmortemMeta {
  at: string;
  stack: string;
  /** The release rolled back from (the event's version when that is not recorded). */
  version: string;
  reason: string;
  rolloutId: string;
}

export interface PostmortemInput {
  /** The rolled-back event the postmortem is for. */
  rollback: RolledBack;
  /** The rollout's events in order (see `eventsOfRollback`), ending with `rollback`. */
  events: RolloutEvent[];
  /** Files a reader may want next, named at the end. Defaults to none. */
  sources?: { history: string; engineLog: string };
}

export const QUESTIONS = ["What went wrong?", "Why didn't we catch it?", "How do we prevent recurrence?"] as const;
export const TO_BE_ANSWERED = "_to be answered_";

/** `<UTC time, compact>-<first 8 characters of the rollout id>`, e.g. 20261202T061500Z-1a2b3c4d. */
export function postmortemId(e: Pick<RolledBack, "at" | "rolloutId">): string {
  const time = new Date(e.at).toISOString().replace(/\.\d+Z$/, "Z").replace(/[-:]/g, "");
  const id = String(e.rolloutId ?? "").replace(/[^A-Za-z0-9_-]/g, "").slice(0, 8);
  return `${time}-${id || "unknown"}`;
}

export const POSTMORTEM_ID = /^\d{8}T\d{6}Z-[A-Za-z0-9_-]{1,8}$/;

/**
 * The events a rollback's postmortem covers: those of its rollout (same rolloutId) up to the
 * rollback itself. A plain `npm run rollback` reuses the id of the last rollout in the status file,
 * so its rollout's events come along; with no rollout there is only its own event.
 */
export function eventsOfRollback(history: readonly unknown[], e: RolledBack): RolloutEvent[] {
  const mine = history.filter((x): x is RolloutEvent => typeof x === "object" && x !== null && (x as RolloutEvent).rolloutId === e.rolloutId);
  let end = -1;
  for (let i = mine.length - 1; i >= 0 && end < 0; i--) if (mine[i].type === "rolled-back" && mine[i].at === e.at) end = i;
  // The hook runs after the append; a history that lost the line still gets the event itself.
  return end < 0 ? [...mine, e] : mine.slice(0, end + 1);
}

const META = /^<!-- postmortem (\{.*\}) -->$/;

/** The first line of a postmortem: its list entry as JSON in a Markdown comment (invisible when rendered). */
export function metaLine(m: PostmortemMeta): string {
  // "--" may not appear inside an HTML comment; in the JSON it can only be inside a string.
  return `<!-- postmortem ${JSON.stringify(m).replace(/--/g, "-\\u002d")} -->`;
}

export function parseMeta(firstLine: string): PostmortemMeta | undefined {
  const m = META.exec(firstLine.trim());
  if (!m) return undefined;
  try {
    const v = JSON.parse(m[1]) as PostmortemMeta;
    return typeof v.at === "string" && typeof v.version === "string" ? v : undefined;
  } catch {
    return undefined;
  }
}

const other = (color: string) => (color === "blue" ? "green" : "blue");
const split = (t?: Traffic) => (t ? `blue ${t.blue}% / green ${t.green}%` : "not recorded");
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const pct = (v: number) => `${v.toFixed(2)}%`;
const p95 = (v: number | null) => (v === null ? "-" : `${v.toFixed(1)} ms`);
const last = <T extends RolloutEvent["type"]>(events: RolloutEvent[], type: T): Of<T> | undefined => events.filter((x): x is Of<T> => x.type === type).pop();

/** A trigger's value or limit with its unit ("6.25%", "1.0 pp", "212.0 ms", "3 restarts"). */
export function withUnit(v: number, unit: Trigger["unit"]): string {
  switch (unit) {
    case "%":
      return pct(v);
    case "pp":
      return `${v.toFixed(2)} pp`;
    case "ms":
      return `${v.toFixed(1)} ms`;
    case "":
      return String(+v.toPrecision(6));
    default:
      return `${v} ${unit}`;
  }
}

/** Markdown table cell: no pipes or line breaks of its own. */
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");

/** A code block whose fence is longer than any run of backticks inside. */
function fenced(text: string): string {
  const fence = "`".repeat(Math.max(3, ...(text.match(/`+/g) ?? []).map((r) => r.length + 1)));
  return `${fence}\n${text}\n${fence}`;
}

const figuresLine = (f: ColorFigures) => `${f.color} ${f.version} ${f.requests} req, ${f.errors} errors, ${pct(f.errorRatePercent)}, p95 ${p95(f.p95LatencyMs)}`;

function detail(e: RolloutEvent): string {
  switch (e.type) {
    case "started":
      return `${e.version} to ${e.canary} (stable ${e.stable.color} ${e.stable.version}); steps ${e.steps.join(",")}; pause ${e.pause}; bake ${e.bake}; ${e.command}`;
    case "step-applied":
      return `up ${seconds(e.upMs)}`;
    case "paused":
      return `${e.reason}: ${e.detail}`;
    case "resumed":
      return `by ${e.by}`;
    case "analysis":
      return [`${e.phase} ${e.verdict}${e.reason ? ` (${e.reason})` : ""}`, ...[e.canary, e.baseline].filter((f): f is ColorFigures => Boolean(f)).map(figuresLine), ...e.triggers.map((t) => `${t.metric}: ${t.message}`)].join("; ");
    case "promoted":
      return `by ${e.by}, next ${e.next === "complete" ? "complete" : `${e.next}%`}`;
    case "aborted":
      return `by ${e.by}: ${e.reason}`;
    case "rolled-back":
      return `to ${e.to.color} ${e.to.version}${e.routerMs !== undefined ? `; router ${e.routerMs} ms` : ""}; converged ${seconds(e.convergeMs)}; ${e.reason}`;
    case "interrupted":
      return "traffic kept at the last step";
    case "failed":
      return e.reason.split("\n")[0];
    case "completed":
      return `${e.version} on ${e.canary} serves 100% after ${seconds(e.durationMs)}`;
  }
}

const stepOf = (e: RolloutEvent) => (e.type === "step-applied" ? `${e.step}/${e.of}` : "step" in e && e.step > 0 ? String(e.step) : "");
const trafficOf = (e: RolloutEvent) => (e.type === "step-applied" || e.type === "rolled-back" || e.type === "interrupted" ? split(e.traffic) : "");

interface Facts {
  e: RolledBack;
  started?: Of<"started">;
  aborted?: Of<"aborted">;
  failed: Of<"failed">[];
  analysis?: Of<"analysis">;
  steps: Of<"step-applied">[];
  from: { color: string; version?: string };
  before: { traffic?: Traffic; versions: Record<string, string | undefined> };
}

function factsOf(input: PostmortemInput): Facts {
  const e = input.rollback;
  // The rollback itself is found by time (the events may be copies read back from the history).
  const at = input.events.map((x) => (x.type === "rolled-back" ? x.at : "")).lastIndexOf(e.at);
  const prior = at < 0 ? input.events : input.events.slice(0, at);
  // After an earlier rollback of the same rollout, only what followed it led to this one.
  const cut = prior.map((x) => x.type).lastIndexOf("rolled-back");
  const segment = prior.slice(cut + 1);
  const started = last(prior, "started");
  const fromColor = started?.canary ?? other(e.to.color);
  const versions: Record<string, string | undefined> = e.before?.versions
    ? { ...e.before.versions }
    : started
      ? { [started.canary]: started.version, [started.stable.color]: started.stable.version }
      : {};
  const moved = prior.filter((x): x is Of<"step-applied"> | Of<"interrupted"> | Of<"rolled-back"> => x.type === "step-applied" || x.type === "interrupted" || x.type === "rolled-back").pop();
  return {
    e,
    started,
    aborted: last(segment, "aborted"),
    failed: segment.filter((x): x is Of<"failed"> => x.type === "failed"),
    analysis: last(segment, "analysis"),
    steps: segment.filter((x): x is Of<"step-applied"> => x.type === "step-applied"),
    from: { color: fromColor, version: started?.version ?? versions[fromColor] },
    // No step applied yet in a started rollout: the stable color still had everything.
    before: { traffic: e.before?.traffic ?? moved?.traffic ?? (started ? (started.stable.color === "blue" ? { blue: 100, green: 0 } : { blue: 0, green: 100 }) : undefined), versions },
  };
}

export function metaOf(input: PostmortemInput): PostmortemMeta {
  const f = factsOf(input);
  return { at: f.e.at, stack: f.e.stack, version: f.from.version ?? f.e.version, reason: f.e.reason, rolloutId: f.e.rolloutId };
}

function decidedBy(f: Facts): string {
  if (f.aborted?.by === "analysis") return "the live analysis (automatic rollback)";
  if (f.aborted) return `${f.aborted.by} (rollout abort)`;
  if (f.failed.length) return "a failed step (automatic rollback)";
  return "a person (`npm run rollback`)";
}

function summary(f: Facts): string[] {
  const { e } = f;
  const fromText = `${f.from.color} ${f.from.version ?? "(version not recorded)"}`;
  const lines = [
    "## Summary",
    "",
    `- **Rolled back**: ${fromText} → ${e.to.color} ${e.to.version} in stack ${e.stack}`,
    `- **Traffic**: ${split(f.before.traffic)} → ${split(e.traffic)}`,
    `- **Why**: ${e.reason}`,
    `- **Decided by**: ${decidedBy(f)}`,
  ];
  if (f.started) lines.push(`- **Rollout**: ${f.started.rolloutId}, started ${f.started.at} by \`${f.started.command}\`, steps ${f.started.steps.join(",")}`);
  else lines.push(`- **Rollout**: none recorded under ${e.rolloutId} (a rollback outside any rollout)`);
  const t = f.aborted?.trigger;
  if (t) {
    lines.push(
      `- **Trigger**: \`${t.metric}\` ${withUnit(t.value, t.unit)} > limit ${withUnit(t.limit, t.unit)} (${t.hard ? "hard: rolled back at once" : "soft: held for consecutive windows"})`,
      `  - ${t.message}`,
    );
  }
  const a = f.analysis;
  if (a) {
    lines.push("", `Last analysis: ${a.at}, ${a.phase} at step ${a.step}, verdict **${a.verdict}**${a.reason ? ` (${a.reason})` : ""}`, "");
    lines.push("| role | color | version | requests | errors | error rate | p95 |", "| --- | --- | --- | --- | --- | --- | --- |");
    for (const [role, fig] of [["canary", a.canary], ["baseline", a.baseline]] as const) {
      lines.push(fig ? `| ${role} | ${fig.color} | ${cell(fig.version)} | ${fig.requests} | ${fig.errors} | ${pct(fig.errorRatePercent)} | ${p95(fig.p95LatencyMs)} |` : `| ${role} | - | - | - | - | - | - |`);
    }
    const more = a.triggers.filter((x) => x.message !== t?.message);
    if (more.length) lines.push("", ...more.map((x) => `- ${x.metric}: ${x.message}`));
    if (a.notes.length) lines.push("", ...a.notes.map((n) => `- note: ${n}`));
  } else {
    lines.push("", "No analysis window was recorded before this rollback.");
  }
  return lines;
}

function timeline(events: RolloutEvent[]): string[] {
  return [
    "## Timeline (UTC)",
    "",
    "| time | event | step | traffic | detail |",
    "| --- | --- | --- | --- | --- |",
    ...events.map((x) => `| ${x.at} | ${x.type} | ${stepOf(x)} | ${trafficOf(x)} | ${cell(detail(x))} |`),
  ];
}

function weights(f: Facts): string[] {
  const after: Record<string, string | undefined> = { ...f.before.versions, [f.e.to.color]: f.e.to.version };
  const w = (t: Traffic | undefined, c: "blue" | "green") => (t ? `${t[c]}%` : "not recorded");
  return [
    "## Versions and weights",
    "",
    "| color | version before | weight before | version after | weight after |",
    "| --- | --- | --- | --- | --- |",
    ...(["blue", "green"] as const).map((c) => `| ${c} | ${cell(f.before.versions[c] ?? "not recorded")} | ${w(f.before.traffic, c)} | ${cell(after[c] ?? "not recorded")} | ${w(f.e.traffic, c)} |`),
  ];
}

function timings(f: Facts): string[] {
  const { e } = f;
  const lines = [
    "## Rollback timings",
    "",
    `- Router switched (routerMs): ${e.routerMs !== undefined ? `${e.routerMs} ms after the rollback began` : "not switched directly; the converging up moved the traffic"}`,
    `- Converged (convergeMs): ${e.convergeMs} ms (${seconds(e.convergeMs)})`,
  ];
  const decided = f.aborted ?? f.failed[f.failed.length - 1];
  if (decided) lines.push(`- Decision (${decided.type} at ${decided.at}) to rollback recorded (${e.at}): ${Date.parse(e.at) - Date.parse(decided.at)} ms`);
  return lines;
}

function gateOutput(f: Facts, sources?: PostmortemInput["sources"]): string[] {
  const lines = ["## Gate output", ""];
  if (f.failed.length) {
    for (const x of f.failed) lines.push(`Step ${x.step > 0 ? x.step : "(deploy to the idle color)"} failed at ${x.at}:`, "", fenced(x.reason), "");
  } else {
    lines.push(`No gate output recorded: a passing gate's report is kept only in the engine's state, which the rollback's own up replaced${sources ? `; every up's output is in ${sources.engineLog}` : ""}.`, "");
  }
  // A step is recorded only after its up completed, and that up ran the gate toward the canary.
  if (f.steps.length) lines.push(`The health gate passed before each applied step: ${f.steps.map((s) => `step ${s.step} (${split(s.traffic)})`).join(", ")}.`, "");
  return lines;
}

/** Suggested action items, from what made the rollout roll back. */
export function suggestedActions(input: PostmortemInput): string[] {
  const f = factsOf(input);
  const release = `${f.from.color} ${f.from.version ?? "the release"}`;
  const t = f.aborted?.trigger;
  const out = [`Root cause of ${release} found and written above`];
  const limit = t ? `${withUnit(t.value, t.unit)} against ${withUnit(t.limit, t.unit)} allowed` : "";
  switch (t?.metric) {
    case "error-rate":
    case "error-rate-increase":
      out.push(`Add a test covering the failing path (${limit})`, `Add an alert on the error rate of stack ${f.e.stack}, so the same errors are seen outside a rollout`);
      break;
    case "p95-latency":
      out.push(`Add a performance test of the slow path (p95 ${limit})`, `Add an alert on the p95 latency of stack ${f.e.stack}`);
      break;
    case "health":
      out.push(`Add a test that runs /healthz of the release against production-like dependencies (${t.message})`);
      break;
    case "crash-loop":
      out.push(`Add a startup test with production-like config and limits (${limit})`, `Add an alert on instance restarts in stack ${f.e.stack}`);
      break;
    default:
      if (f.aborted) out.push(`Write down what ${f.aborted.by} saw, and make it an alert or a rollback trigger`);
      else if (f.failed.length) out.push("Reproduce the failed step (gate or policy) in staging and cover it with a test");
      else out.push("Make the signal that prompted this manual rollback an alert or a rollback trigger");
  }
  if (t && f.steps.length) out.push("Review why the step's health gate passed: its checks and analysis window (`gates.*`)");
  out.push("Fix re-tested in staging; re-deployment scheduled through `npm run deploy`");
  return out;
}

export function renderPostmortem(input: PostmortemInput): string {
  const f = factsOf(input);
  const { e } = f;
  const title = f.from.version ? `${e.stack} ${f.from.version} rolled back to ${e.to.color} ${e.to.version}` : `${e.stack} rolled back to ${e.to.color} ${e.to.version}`;
  const lines = [
    metaLine(metaOf(input)),
    `# Postmortem: ${title} (${e.at})`,
    "",
    ...summary(f),
    "",
    ...timeline(input.events),
    "",
    ...weights(f),
    "",
    ...timings(f),
    "",
    ...gateOutput(f, input.sources),
    ...QUESTIONS.flatMap((q) => [`## ${q}`, "", TO_BE_ANSWERED, ""]),
    "## Action items",
    "",
    "Template: `- [ ] <action> (owner, due)`",
    "",
    ...suggestedActions(input).map((a) => `- [ ] ${a} (owner, due)`),
    "- [ ] ... (owner, due)",
  ];
  if (input.sources) lines.push("", "## Sources", "", `- events: ${input.sources.history}`, `- engine output: ${input.sources.engineLog}`);
  return `${lines.join("\n")}\n`;
}
