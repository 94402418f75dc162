// What `deploy`, `rollout resume` and `rollback` share: reading a stack's config and outputs through
// the Automation API, the emergency path back to the stable color, and the wiring of a
// RolloutController to the real engine, Prometheus and the local target.
import * as http from "http";
import * as fs from "fs";
import * as path from "path";
import { parseConfigValue } from "../components/config/config-value";
import { CONFIG_NAMESPACE, StackConfig, StackConfigError, nestConfig, parseStackConfig } from "../components/config/stack-config";
import { Notifier, StuckLockEvent } from "../components/notify/notifier";
import { BUILT_IN, TemplateError, Templates, loadTemplates } from "../components/notify/templates";
import { ControlReader, RolloutStatus } from "../components/rollout/control";
import { RolloutController, RolloutDeps, RolloutPlan, StartAt, canaryTraffic } from "../components/rollout/controller";
import { EventSink } from "../components/rollout/events";
import { RolloutFiles, appendLine, readJsonLines, writeAtomic } from "../components/rollout/files";
import type { LockHolder } from "../components/rollout/lock";
import { LiveAnalysis } from "../components/rollout/live-analysis";
import { postmortemHook } from "../components/rollout/postmortem-files";
import { prometheusSource } from "../components/gates/prometheus-source";
import { MetricsSource } from "../components/gates/metrics-source";
import type { MetricQuery } from "../components/gates/gate-config";
import { hostMountpoint, infrastructureLiveQueries } from "../components/gates/checks/infrastructure-check";
import * as paths from "../components/targets/local/paths";
import { readProjectFastState } from "../components/targets/local/checkpoint";
import { watchLocalInstances } from "../components/targets/local/instance-signals";
import { routerInputsFromState, switchLocalRouter } from "../components/targets/local/traffic-switch";
import { COLOR_HEADER, Color, ProvenReleases, StableReleases, Traffic, provenFromStable } from "../components/types";
import { ProjectStack, ROOT, openStack } from "./automation";
import { UsageError, atExit } from "./cli-args";
import { leaves, maskSecrets } from "./stack-info";
import { migrateForDeploy } from "./deploy-migrations";

export interface StackState {
  config: StackConfig;
  traffic?: Traffic;
  versions: Partial<Record<Color, string>>;
  stableReleases: StableReleases;
  provenReleases: ProvenReleases;
  stable?: { color: Color; version: string };
  /** Where this machine reaches the service (the `url` output, or the Gateway's address). */
  url?: string;
  /** The Host header requests to `url` carry (the Gateway's virtual host). */
  host?: string;
}

/**
 * Where this machine sends the rollout's requests: the service's `url`, except on kubernetes with a
 * `gatewayUrl`, where the Gateway is reached at that address with `Host: <hostname>` (the gates do
 * the same).
 */
export function endpointOf(config: StackConfig, url: string | undefined): { url?: string; host?: string } {
  if (config.target === "kubernetes") {
    const k = config.kubernetes as { gatewayUrl?: string; hostname?: string } | undefined;
    if (k?.gatewayUrl && k.hostname) return { url: k.gatewayUrl.replace(/\/+$/, ""), host: k.hostname };
  }
  return { url };
}

/**
 * The stack's config through the engine (secrets decrypted: the notifications need them). A bad
 * value is reported as the engine would, every secret's value replaced by [secret].
 */
export async function readConfig(ps: ProjectStack): Promise<StackConfig> {
  const all = await ps.stack.getAllConfig();
  const flat = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.value]));
  try {
    return parseStackConfig(nestConfig(flat));
  } catch (e) {
    if (!(e instanceof StackConfigError)) throw e;
    const secrets = Object.values(all).filter((v) => v.secret).flatMap((v) => leaves(parseConfigValue(v.value)));
    throw new StackConfigError(e.problems.map((p) => maskSecrets(p, secrets)));
  }
}

export async function readState(ps: ProjectStack): Promise<StackState> {
  const config = await readConfig(ps);
  const out = await ps.outputs();
  return {
    config,
    traffic: out.traffic as Traffic | undefined,
    versions: (out.versions as Partial<Record<Color, string>>) ?? {},
    stableReleases: (out.stableReleases as StableReleases) ?? {},
    provenReleases: (out.provenReleases as ProvenReleases | undefined) ?? provenFromStable((out.stableReleases as StableReleases) ?? {}),
    stable: (out.stable as { color: Color; version: string } | null) ?? undefined,
    ...endpointOf(config, out.url as string | undefined),
  };
}

/** `traffic.green` for a split that gives `color` everything. */
export const greenFor = (color: Color) => (color === "green" ? 100 : 0);

/** A log file per rollout for the engine's full output (the terminal gets the events). */
export function engineLog(files: RolloutFiles): (line: string) => void {
  const file = path.join(files.dir, "engine.log");
  fs.mkdirSync(files.dir, { recursive: true });
  return (line) => fs.appendFileSync(file, `${line}\n`);
}

function healthOf(url: string, color: Color, host?: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get(`${url}/healthz`, { headers: { [COLOR_HEADER]: color, ...(host ? { host } : {}) }, timeout: 3000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode === 200 ? "ok" : `answered ${res.statusCode}`));
    });
    req.on("error", (e) => resolve(`unreachable (${e.message})`));
    req.on("timeout", () => req.destroy(new Error("timed out")));
  });
}

export interface RollbackTimings {
  /** Command start to the router serving the stable color only (local target), in ms. */
  routerMs?: number;
  /** Command start to the converged stack (the `up` done), in ms. */
  convergeMs: number;
  health: string;
}

/**
 * The emergency path: the router switched at once (local target: from the recorded state, as its
 * provider does), then the config edit and an `up` that records the same split (a rollback: never
 * gated, no backup, no policy blocks it), then a health check of the stable color.
 */
export async function rollBackNow(ps: ProjectStack, state: StackState, to: Color, log: (line: string) => void, beforeUp?: () => Promise<void>): Promise<RollbackTimings> {
  const t0 = Date.now();
  let routerMs: number | undefined;
  const traffic: Traffic = canaryTraffic(to, 100);
  if (state.config.target === "local") {
    try {
      // The checkpoint as a file when it can be trusted (no engine run: about half a second less),
      // else the same state through the engine.
      const fast = readProjectFastState(ROOT, ps.name);
      const inputs = fast.ok ? fast.state.router : routerInputsFromState(await ps.exportDeployment());
      if (inputs) {
        await switchLocalRouter(inputs, traffic);
        routerMs = Date.now() - t0;
      }
    } catch (e) {
      // The `up` below still moves traffic: the fast path failing must not stop the rollback.
      log(`router switch failed (${(e as Error).message}); the up below moves the traffic`);
    }
  }
  const { convergeMs, health } = await convergeOn(ps, to, state, log, beforeUp, t0);
  return { routerMs, convergeMs, health };
}

/**
 * After the router serves `to` (or when the `up` must move it): the config edit and an `up` that
 * records the same split, then a health check of `to`. `convergeMs` counts from `t0`. With
 * `version`, `to` is first given that proven release (a version revert to a release no color runs).
 */
export async function convergeOn(
  ps: ProjectStack,
  to: Color,
  endpoint: { url?: string; host?: string },
  log: (line: string) => void,
  beforeUp: (() => Promise<void>) | undefined,
  t0: number,
  version?: string,
): Promise<Omit<RollbackTimings, "routerMs">> {
  await beforeUp?.();
  // A version revert puts the proven release back on the idle color in the same edit: the program
  // classifies it as a rollback (ungated), and the router waits for that color's instances.
  if (version) await ps.setConfig(`${to}.version`, version);
  await ps.setConfig("traffic.green", String(greenFor(to)));
  await ps.up(log);
  const convergeMs = Date.now() - t0;
  const health = endpoint.url ? await healthOf(endpoint.url, to, endpoint.host) : "not checked (no url output)";
  return { convergeMs, health };
}

/**
 * What the live analysis judges besides the colors' traffic: the stack's own `gates.queries`, and
 * the hosts' CPU, memory and disk when the gate runs the infrastructure check (the local target:
 * the disk that holds the releases).
 */
export async function liveQueries(config: StackConfig): Promise<MetricQuery[]> {
  const queries = [...(config.gates.queries ?? [])];
  if (config.gates.checks.includes("infrastructure")) {
    // The local target's releases live in its state folder; a node's root filesystem elsewhere.
    // An unreadable mount list costs only the disk figure's precision: "/" still holds everything.
    const url = config.target === "local" ? paths.prometheusUrl() : undefined;
    const mountpoint = url ? await hostMountpoint(url, paths.stateDir(), config.gates.infrastructure?.job).catch(() => "/") : "/";
    queries.push(...infrastructureLiveQueries(config.gates.infrastructure, mountpoint));
  }
  return queries;
}

/** The metrics source a rollout reads on this target. */
export function metricsSourceFor(config: StackConfig): MetricsSource {
  if (config.target === "kubernetes") {
    const section = config.kubernetes as { prometheusUrl?: string } | undefined;
    if (section?.prometheusUrl) return prometheusSource({ url: section.prometheusUrl });
  }
  // The local target's Prometheus; other targets without one get an unreadable source:
  // every window is inconclusive, so the rollout pauses instead of promoting blind.
  if (config.target === "local") return prometheusSource({ url: paths.prometheusUrl() });
  return {
    description: `no metrics source for the ${config.target} target`,
    reachable: () => Promise.reject(new Error("not available")),
    sample: () => Promise.reject(new Error(`live analysis is not available on the ${config.target} target`)),
    countsSince: () => Promise.reject(new Error(`live analysis is not available on the ${config.target} target`)),
  };
}

export interface RunArgs {
  ps: ProjectStack;
  state: StackState;
  plan: RolloutPlan;
  files: RolloutFiles;
  events: EventSink;
  start?: StartAt;
  /** Called when the rollout is set up, with a way to interrupt it (Ctrl-C). */
  onController?: (c: RolloutController) => void;
  /** Lines a person reads that are not events (the migrations applied). Defaults to stdout. */
  note?: (line: string) => void;
}

export async function runRollout(a: RunArgs): Promise<ReturnType<RolloutController["run"]>> {
  const { ps, state, plan, files } = a;
  const log = engineLog(files);
  const live = new LiveAnalysis({
    queries: await liveQueries(state.config),
    stack: ps.name,
    service: state.config.service.name,
    routerUrl: state.url ?? `http://127.0.0.1:${(state.config.local as { routerPort: number }).routerPort}`,
    host: state.host,
    canary: { color: plan.canary, version: plan.version },
    baseline: plan.stable,
    source: metricsSourceFor(state.config),
    config: state.config.rollout.analysis,
    instances: state.config.target === "local" ? watchLocalInstances(ps.name, state.config.service.name, plan.canary).read : undefined,
    replicas: state.config[plan.canary].replicas,
  });
  const control = new ControlReader(files.control);
  const deps: RolloutDeps = {
    async deployIdle() {
      await ps.setConfig(`${plan.canary}.version`, plan.version);
      await ps.up(log);
      // The new release is up on the idle color at 0%: its migrations run now, before any step
      // gives it traffic, while the stable release keeps serving (hence the compatibility check).
      await migrateForDeploy(ps.name, state.config, a.note ?? ((l) => process.stdout.write(`${l}\n`)), log);
    },
    async applyStep(percent) {
      await ps.setConfig("traffic.green", String(canaryTraffic(plan.canary, percent).green));
      await ps.up(log);
      live.markStep();
      live.startFloor();
    },
    judge: () => live.judge(),
    async rollback() {
      live.stopFloor();
      const t = await rollBackNow(ps, state, plan.stable.color, log);
      return { routerMs: t.routerMs, convergeMs: t.convergeMs };
    },
    poll: () => control.poll(),
    writeStatus: (s: RolloutStatus) => writeAtomic(files.status, JSON.stringify(s, null, 2)),
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    events: a.events,
  };
  const controller = new RolloutController(plan, deps, a.start);
  a.onController?.(controller);
  if (a.start && a.start.stepIndex >= 0) {
    live.markStep();
    live.startFloor();
  }
  try {
    return await controller.run();
  } finally {
    live.stopFloor();
  }
}

/**
 * Events of a rollout: printed, appended to the stack's history file, JSON lines with --json; each
 * rolled-back event then writes a postmortem (a failure to is one line on stderr, nothing more),
 * and every event is handed to the notifier, which only queues (see notifierFor).
 */
export function eventSink(files: RolloutFiles, json: boolean, notifier?: Notifier): EventSink {
  return new EventSink({ historyFile: files.history, json, append: appendLine, afterEmit: [postmortemHook(files), ...(notifier ? [notifier.afterEmit] : [])] });
}

/**
 * How long a command waits at exit for its notifications, at most, all receivers together. A
 * receiver that fails or hangs costs a command this and nothing else: notifications are queued
 * after their event and sent in the background (a rollback never waits for one).
 */
export const NOTIFY_FLUSH_BOUND_MS = 2000;

/**
 * The stack's notifier, or undefined without a receiver (`notifications.slackWebhookUrl`,
 * `.webhookUrl`); flushed within NOTIFY_FLUSH_BOUND_MS when the command exits. A template file
 * that cannot be used is a usage error when `strict` (deploy and resume: before anything changes),
 * else one warning and the built-in templates (a rollback must not fail for it).
 */
export function notifierFor(config: StackConfig, files: RolloutFiles, opts: { strict: boolean }): Notifier | undefined {
  const c = config.notifications;
  if (!c.slackWebhookUrl && !c.webhookUrl) return undefined;
  let templates: Templates;
  try {
    templates = loadTemplates(c.templatesDir ? path.resolve(ROOT, c.templatesDir) : undefined);
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    if (opts.strict) throw new UsageError(`notifications: ${e.message}`);
    process.stderr.write(`warning: notifications use the built-in templates: ${e.message}\n`);
    templates = BUILT_IN;
  }
  const notifier = new Notifier({ config: c, templates, history: () => readJsonLines<unknown>(files.history) });
  atExit(() => notifier.flush(NOTIFY_FLUSH_BOUND_MS));
  return notifier;
}

/**
 * The notifier of a command that has the stack open but may not have read its config (the
 * rollback's fast path reads the checkpoint only). Never throws: a rollback is not failed by its
 * notifications; a config that cannot be read is one warning.
 */
export async function notifierOf(ps: ProjectStack, files: RolloutFiles, known?: StackConfig): Promise<Notifier | undefined> {
  try {
    // Reading the config through the engine takes about a second: not when no receiver is set.
    if (!known && !mayNotify(ps.name)) return undefined;
    return notifierFor(known ?? (await readConfig(ps)), files, { strict: false });
  } catch (e) {
    process.stderr.write(`warning: no notifications: ${(e as Error).message.replace(/\s*\n\s*/g, " ")}\n`);
    return undefined;
  }
}

/**
 * Whether the stack's config file sets any `notifications` key (plain text: the values may be
 * encrypted, the keys never are). True when the file cannot be read: the engine then decides.
 */
export function mayNotify(stack: string, root: string = ROOT): boolean {
  try {
    const text = fs.readFileSync(path.join(root, "stacks", `Pulumi.${stack}.yaml`), "utf8");
    return new RegExp(`^\\s*["']?${CONFIG_NAMESPACE}:notifications\\b`, "m").test(text);
  } catch {
    return true;
  }
}

/** The stuck-lock notice of `held` (see stuckRolloutLock), found by `found` ("npm run deploy (refused)"). */
export function stuckLockEvent(stack: string, held: LockHolder, found: string): StuckLockEvent {
  return { type: "stuck-lock", at: new Date().toISOString(), stack, holder: held, found };
}

/**
 * A command refused by a stuck lock before it read the stack: the stack's config is read for the
 * notification, which is then flushed at exit like any other. Never throws.
 */
export async function notifyStuckLock(stack: string, files: RolloutFiles, held: LockHolder, found: string, ps?: ProjectStack): Promise<void> {
  try {
    const notifier = await notifierOf(ps ?? (await openStack(stack)), files);
    notifier?.notify(stuckLockEvent(stack, held, found));
  } catch (e) {
    process.stderr.write(`warning: the stuck lock was not notified: ${(e as Error).message.replace(/\s*\n\s*/g, " ")}\n`);
  }
}
