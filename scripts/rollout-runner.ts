// What `deploy`, `rollout resume` and `rollback` share: reading a stack's config and outputs through
// the Automation API, the emergency path back to the stable color, and the wiring of a
// RolloutController to the real engine, Prometheus and the local target.
import * as http from "http";
import * as fs from "fs";
import * as path from "path";
import { StackConfig, nestConfig, parseStackConfig } from "../components/config/stack-config";
import { ControlReader, RolloutStatus } from "../components/rollout/control";
import { RolloutController, RolloutDeps, RolloutPlan, StartAt, canaryTraffic } from "../components/rollout/controller";
import { EventSink } from "../components/rollout/events";
import { RolloutFiles, appendLine, writeAtomic } from "../components/rollout/files";
import { LiveAnalysis } from "../components/rollout/live-analysis";
import { prometheusSource } from "../components/gates/prometheus-source";
import { MetricsSource } from "../components/gates/metrics-source";
import * as paths from "../components/targets/local/paths";
import { readProjectFastState } from "../components/targets/local/checkpoint";
import { watchLocalInstances } from "../components/targets/local/instance-signals";
import { routerInputsFromState, switchLocalRouter } from "../components/targets/local/traffic-switch";
import { COLOR_HEADER, Color, StableReleases, Traffic } from "../components/types";
import { ProjectStack, ROOT } from "./automation";

export interface StackState {
  config: StackConfig;
  traffic?: Traffic;
  versions: Partial<Record<Color, string>>;
  stableReleases: StableReleases;
  stable?: { color: Color; version: string };
  url?: string;
}

export async function readState(ps: ProjectStack): Promise<StackState> {
  const all = await ps.stack.getAllConfig();
  const flat = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.value]));
  const config = parseStackConfig(nestConfig(flat));
  const out = await ps.outputs();
  return {
    config,
    traffic: out.traffic as Traffic | undefined,
    versions: (out.versions as Partial<Record<Color, string>>) ?? {},
    stableReleases: (out.stableReleases as StableReleases) ?? {},
    stable: (out.stable as { color: Color; version: string } | null) ?? undefined,
    url: out.url as string | undefined,
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

function healthOf(url: string, color: Color): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get(`${url}/healthz`, { headers: { [COLOR_HEADER]: color }, timeout: 3000 }, (res) => {
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
  const { convergeMs, health } = await convergeOn(ps, to, state.url, log, beforeUp, t0);
  return { routerMs, convergeMs, health };
}

/**
 * After the router serves `to` (or when the `up` must move it): the config edit and an `up` that
 * records the same split, then a health check of `to`. `convergeMs` counts from `t0`.
 */
export async function convergeOn(ps: ProjectStack, to: Color, url: string | undefined, log: (line: string) => void, beforeUp: (() => Promise<void>) | undefined, t0: number): Promise<Omit<RollbackTimings, "routerMs">> {
  await beforeUp?.();
  await ps.setConfig("traffic.green", String(greenFor(to)));
  await ps.up(log);
  const convergeMs = Date.now() - t0;
  const health = url ? await healthOf(url, to) : "not checked (no url output)";
  return { convergeMs, health };
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
}

export async function runRollout(a: RunArgs): Promise<ReturnType<RolloutController["run"]>> {
  const { ps, state, plan, files } = a;
  const log = engineLog(files);
  const live = new LiveAnalysis({
    stack: ps.name,
    service: state.config.service.name,
    routerUrl: state.url ?? `http://127.0.0.1:${(state.config.local as { routerPort: number }).routerPort}`,
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

/** Events of a rollout: printed, appended to the stack's history file, JSON lines with --json. */
export function eventSink(files: RolloutFiles, json: boolean): EventSink {
  return new EventSink({ historyFile: files.history, json, append: appendLine });
}
