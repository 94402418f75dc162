// What the dashboard shows of one stack, read the way `npm run rollback` reads it: from files only
// (the file backend's checkpoint, the stack's config file, the rollout folder), never through the
// engine, so a page refresh costs milliseconds and never takes a stack's update lock. Instance
// readiness is probed live (each local instance's /readyz; elsewhere /healthz by color header).
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import * as yaml from "js-yaml";
import { RolloutStatus } from "../rollout/control";
import { RolloutEvent } from "../rollout/events";
import { readJson, readJsonLines, rolloutFiles } from "../rollout/files";
import { listPostmortems, readPostmortem } from "../rollout/postmortem-files";
import { LockHolder, processAlive, readLock } from "../rollout/lock";
import { LiveAnalysisConfig, rolloutConfigSchema } from "../rollout/rollout-config";
import { ROLE_PROPERTY, ROLES } from "../roles";
import { checkpointCandidates, readCheckpoint } from "../targets/local/checkpoint";
import { COLOR_HEADER, COLORS, Color, Traffic } from "../types";

export interface InstanceView {
  id: string;
  ready: boolean;
  detail: string;
}

export interface ColorView {
  color: Color;
  version?: string;
  weight: number;
  /** This color runs the release kept as the instant rollback target. */
  rollbackTarget: boolean;
  instances: InstanceView[];
}

export interface PostmortemRef {
  id: string;
  title: string;
}

export interface StackView {
  name: string;
  service: string;
  target?: string;
  url?: string;
  traffic?: Traffic;
  colors: ColorView[];
  stable?: { color: Color; version: string };
  change?: { kind: string; towards: string | null };
  /** The last `up`'s gate verdict per color, every check's line. */
  gates: Record<string, string>;
  rollout?: RolloutStatus & { live: boolean };
  lock?: LockHolder;
  history: RolloutEvent[];
  postmortems: PostmortemRef[];
  /** The limits the live analysis judges against (the stack's rollout.analysis config). */
  limits: Pick<LiveAnalysisConfig, "maxErrorRatePercent" | "maxErrorRateIncreasePp" | "maxLatencyIncreasePercent" | "hardLatencyIncreasePercent">;
  /** Where the stack's metrics are read, when it has a source. */
  prometheusUrl?: string;
  /** Why part of the view could not be read (shown, never thrown). */
  problems: string[];
}

export interface ProjectLocation {
  root: string;
  project: string;
  /** The file backend's URL (file://...). */
  backendUrl: string;
  /** The state folder (rollouts, records). */
  stateRoot: string;
  /** The local target's Prometheus. */
  localPrometheusUrl: string;
}

const HISTORY_SHOWN = 200;

/** Stack names with a checkpoint in the project's file backend, sorted. */
export function listStacks(loc: ProjectLocation): string[] {
  const candidates = checkpointCandidates(loc.backendUrl, loc.project, "x");
  if (!candidates) return [];
  const dir = path.dirname(candidates[0]);
  if (!fs.existsSync(dir)) return [];
  const names = fs
    .readdirSync(dir)
    .map((f) => /^(.+)\.json(\.gz)?$/.exec(f)?.[1])
    .filter((n): n is string => Boolean(n) && !n!.endsWith(".bak"));
  return [...new Set(names)].sort();
}

/** The stack's own config file as plain data (secure values stay opaque; none is shown). */
function stackConfig(loc: ProjectLocation, stack: string): Record<string, unknown> {
  const file = path.join(loc.root, "stacks", `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) return {};
  const doc = yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc?.config ?? {})) {
    if (k.startsWith(`${loc.project}:`)) out[k.slice(loc.project.length + 1)] = v;
  }
  return out;
}

function get(url: string, headers: Record<string, string>, timeoutMs = 1500): Promise<{ status: number } | { error: string }> {
  return new Promise((resolve) => {
    const req = http.get(url, { headers, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on("error", (e) => resolve({ error: e.message }));
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
  });
}

const describe = (r: { status: number } | { error: string }) => ("error" in r ? r.error : r.status === 200 ? "ready" : `answered ${r.status}`);

type Resource = { type?: string; urn?: string; outputs?: Record<string, unknown> };

async function instancesOf(color: Color, resources: Resource[], endpoint: { url?: string; host?: string }): Promise<InstanceView[]> {
  const env = resources.find((r) => r.outputs?.[ROLE_PROPERTY] === ROLES.environment && r.outputs?.color === color && Array.isArray(r.outputs?.ports));
  if (env) {
    // The local target: every instance answers on its own port.
    const ports = env.outputs!.ports as number[];
    return Promise.all(
      ports.map(async (p) => {
        const r = await get(`http://127.0.0.1:${p}/readyz`, {});
        return { id: `127.0.0.1:${p}`, ready: "status" in r && r.status === 200, detail: describe(r) };
      }),
    );
  }
  const deployment = resources.find((r) => r.type === "kubernetes:apps/v1:Deployment" && (r.outputs?.metadata as { labels?: Record<string, string> })?.labels?.color === color);
  if (deployment && endpoint.url) {
    const status = deployment.outputs?.status as { replicas?: number; readyReplicas?: number } | undefined;
    const r = await get(`${endpoint.url}/healthz`, { [COLOR_HEADER]: color, ...(endpoint.host ? { host: endpoint.host } : {}) });
    const name = (deployment.outputs?.metadata as { name?: string })?.name ?? color;
    return [{ id: `deployment ${name}`, ready: "status" in r && r.status === 200, detail: `${describe(r)} (/healthz through the Gateway); ${status?.readyReplicas ?? 0} of ${status?.replicas ?? 0} pods ready at the last up` }];
  }
  return [];
}

/** Reads one stack. Never throws: what cannot be read is listed in `problems`. */
export async function readStack(loc: ProjectLocation, name: string): Promise<StackView> {
  const problems: string[] = [];
  const config = stackConfig(loc, name);
  const rollout = rolloutConfigSchema.safeParse(config.rollout ?? {});
  const analysis = rollout.success ? rollout.data.analysis : rolloutConfigSchema.parse({}).analysis;
  if (!rollout.success) problems.push(`rollout config: ${rollout.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const target = typeof config.target === "string" ? config.target : "local";
  const k = (config.kubernetes ?? {}) as { prometheusUrl?: unknown; gatewayUrl?: unknown; hostname?: unknown };

  let resources: Resource[] = [];
  let out: Record<string, unknown> = {};
  try {
    const found = readCheckpoint(checkpointCandidates(loc.backendUrl, loc.project, name) ?? []);
    resources = ((found?.doc as { checkpoint?: { latest?: { resources?: Resource[] } } })?.checkpoint?.latest?.resources ?? []) as Resource[];
    out = resources.find((r) => r.type === "pulumi:pulumi:Stack")?.outputs ?? {};
  } catch (e) {
    problems.push(`checkpoint: ${(e as Error).message}`);
  }
  const traffic = out.traffic as Traffic | undefined;
  const versions = (out.versions ?? {}) as Partial<Record<Color, string>>;
  const stable = (out.stable as { color: Color; version: string } | null) ?? undefined;
  const url = typeof out.url === "string" ? out.url : undefined;
  const endpoint = target === "kubernetes" && typeof k.gatewayUrl === "string" && typeof k.hostname === "string" ? { url: k.gatewayUrl.replace(/\/+$/, ""), host: k.hostname } : { url };
  const colors = await Promise.all(
    COLORS.map(async (c) => ({
      color: c,
      version: versions[c],
      weight: traffic?.[c] ?? 0,
      rollbackTarget: Boolean(stable && stable.color === c && (traffic?.[c] ?? 0) < 100),
      instances: versions[c] ? await instancesOf(c, resources, endpoint) : [],
    })),
  );

  const files = rolloutFiles(name, loc.stateRoot);
  const status = readJson<RolloutStatus>(files.status);
  const lock = readLock(files.lock);
  let history: RolloutEvent[] = [];
  try {
    history = readJsonLines<RolloutEvent>(files.history).slice(-HISTORY_SHOWN);
  } catch (e) {
    problems.push(`history: ${(e as Error).message}`);
  }
  let postmortems: PostmortemRef[] = [];
  try {
    postmortems = listPostmortems(name, loc.stateRoot).map((p) => ({ id: p.id, title: `${p.at} ${p.version}: ${p.reason}` }));
  } catch (e) {
    problems.push(`postmortems: ${(e as Error).message}`);
  }
  const prometheusUrl = target === "local" ? loc.localPrometheusUrl : typeof k.prometheusUrl === "string" ? k.prometheusUrl : undefined;
  const service = typeof (config.service as { name?: unknown } | undefined)?.name === "string" ? (config.service as { name: string }).name : "app";
  return {
    name,
    service,
    target,
    url,
    traffic,
    colors,
    stable,
    change: out.change as StackView["change"],
    gates: (out.gates ?? {}) as Record<string, string>,
    rollout: status ? { ...status, live: Boolean(lock && lock.kind === "rollout" && lock.pid === status.pid && processAlive(status.pid)) } : undefined,
    lock,
    history,
    postmortems,
    limits: {
      maxErrorRatePercent: analysis.maxErrorRatePercent,
      maxErrorRateIncreasePp: analysis.maxErrorRateIncreasePp,
      maxLatencyIncreasePercent: analysis.maxLatencyIncreasePercent,
      hardLatencyIncreasePercent: analysis.hardLatencyIncreasePercent,
    },
    prometheusUrl,
    problems,
  };
}

/** A postmortem's Markdown, or undefined when there is no such id. */
export function readPostmortemFile(loc: ProjectLocation, stack: string, id: string): string | undefined {
  return readPostmortem(stack, id, loc.stateRoot);
}
