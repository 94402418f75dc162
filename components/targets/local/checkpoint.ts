// The fast read of a stack for `npm run rollback` on the local target: the file backend's
// checkpoint (the state the engine itself wrote on the last `up`, the same document `pulumi stack
// export` prints) read as a plain JSON file, without starting the engine or loading @pulumi/pulumi.
// From it: the stack outputs the rollback decides on (traffic, versions, stableReleases, stable,
// url) and the router's recorded inputs (what applyWeights needs). Anything unexpected (another
// backend, no file, a secret output, an `up` in flight on the router, the router's split not the
// one the outputs record) is a reason, and the caller takes the slow path through the Automation
// API instead of guessing.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { ROLE_PROPERTY, ROLES } from "../../roles";
import { COLORS, Color, ProvenReleases, StableReleases, Traffic, provenFromStable } from "../../types";
import { routerProgram } from "./names";
import type { RouterInputs } from "./router-apply";

export interface FastStackState {
  traffic?: Traffic;
  versions: Partial<Record<Color, string>>;
  stableReleases: StableReleases;
  provenReleases: ProvenReleases;
  stable?: { color: Color; version: string };
  url?: string;
  router: RouterInputs;
}

export type FastRead = { ok: true; state: FastStackState; file: string } | { ok: false; reason: string };

/** The engine's marker of an encrypted value in a checkpoint. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

interface CheckpointResource {
  urn?: string;
  type?: string;
  outputs?: Record<string, unknown>;
}

interface Checkpoint {
  checkpoint?: { latest?: { resources?: CheckpointResource[]; pending_operations?: { resource?: { urn?: string } }[] } };
}

/**
 * Where a file backend keeps the stack's checkpoint: the project-scoped path first, then the legacy
 * one, each also gzipped. Undefined for a backend that is not a folder on this machine.
 */
export function checkpointCandidates(backendUrl: string, project: string, stack: string, home: string = os.homedir()): string[] | undefined {
  if (!backendUrl.startsWith("file://")) return undefined;
  let dir = decodeURIComponent(backendUrl.slice("file://".length).split("?")[0]);
  if (dir === "~" || dir.startsWith("~/")) dir = path.join(home, dir.slice(1));
  if (!path.isAbsolute(dir)) return undefined;
  const stacks = path.join(dir, ".pulumi", "stacks");
  const bases = [path.join(stacks, project, stack), path.join(stacks, stack)];
  return bases.flatMap((b) => [`${b}.json`, `${b}.json.gz`]);
}

const isSecret = (v: unknown): boolean =>
  typeof v === "object" && v !== null && (SECRET_SIG in (v as object) || Object.values(v as object).some(isSecret));

const sameTraffic = (a?: Traffic, b?: Traffic) => Boolean(a && b && a.blue === b.blue && a.green === b.green);

/** The rollback's view of a parsed checkpoint, or why it cannot be trusted for the fast path. */
export function stateFromCheckpoint(doc: unknown, stack: string): FastRead {
  const latest = (doc as Checkpoint)?.checkpoint?.latest;
  const resources = latest?.resources;
  if (!Array.isArray(resources)) return { ok: false, reason: "the checkpoint has no resources (never deployed?)" };
  const root = resources.find((r) => r.type === "pulumi:pulumi:Stack");
  const out = root?.outputs;
  if (!out) return { ok: false, reason: "the checkpoint has no stack outputs" };
  const picked = { traffic: out.traffic, versions: out.versions, stableReleases: out.stableReleases, provenReleases: out.provenReleases, stable: out.stable, url: out.url };
  if (isSecret(picked)) return { ok: false, reason: "a stack output the rollback reads is a secret" };
  const router = resources.filter((r) => r.outputs?.[ROLE_PROPERTY] === ROLES.routerTraffic && typeof r.outputs?.nginxDir === "string");
  if (router.length !== 1) return { ok: false, reason: router.length ? "more than one router in the stack" : "no local router in the stack (not the local target)" };
  const pending = (latest?.pending_operations ?? []).some((p) => p.resource?.urn === router[0].urn);
  if (pending) return { ok: false, reason: "an update of the router is in flight" };
  const { __provider: _p, generation: _g, ...inputs } = router[0].outputs!;
  const r = inputs as unknown as RouterInputs;
  if (r.stack !== stack) return { ok: false, reason: `the router belongs to stack ${JSON.stringify(r.stack)}` };
  if (typeof r.port !== "number" || typeof r.supervisorConfig !== "string" || typeof r.upstreams !== "object" || r.upstreams === null) {
    return { ok: false, reason: "the router's recorded inputs are incomplete" };
  }
  const traffic = picked.traffic as Traffic | undefined;
  // The outputs are registered at the end of an `up`: a failed `up` can leave the router on a split
  // the outputs do not record. The slow path then decides (as it always did).
  if (traffic && !sameTraffic(traffic, r.traffic)) return { ok: false, reason: `the router serves ${JSON.stringify(r.traffic)} but the outputs record ${JSON.stringify(traffic)}` };
  const stable = (picked.stable as { color: Color; version: string } | null) ?? undefined;
  if (stable && !COLORS.includes(stable.color)) return { ok: false, reason: `the stable output names an unknown color ${JSON.stringify(stable.color)}` };
  return {
    ok: true,
    file: "",
    state: {
      traffic,
      versions: (picked.versions as Partial<Record<Color, string>>) ?? {},
      stableReleases: (picked.stableReleases as StableReleases) ?? {},
      provenReleases: (picked.provenReleases as ProvenReleases | undefined) ?? provenFromStable((picked.stableReleases as StableReleases) ?? {}),
      stable,
      url: picked.url as string | undefined,
      router: r,
    },
  };
}

/** Reads the first checkpoint file there is among `candidates`, gunzipping a `.gz`. */
export function readCheckpoint(candidates: string[]): { file: string; doc: unknown } | undefined {
  for (const file of candidates) {
    let raw: Buffer;
    try {
      raw = fs.readFileSync(file);
    } catch {
      continue;
    }
    const text = file.endsWith(".gz") ? zlib.gunzipSync(raw).toString("utf8") : raw.toString("utf8");
    return { file, doc: JSON.parse(text) };
  }
  return undefined;
}

/** The fast read of `stack` from the file backend at `backendUrl`. Never throws: a failure is a reason. */
export function readFastState(backendUrl: string, project: string, stack: string): FastRead {
  const candidates = checkpointCandidates(backendUrl, project, stack);
  if (!candidates) return { ok: false, reason: `the backend ${backendUrl.split("?")[0]} is not a local folder` };
  try {
    const found = readCheckpoint(candidates);
    if (!found) return { ok: false, reason: `no checkpoint of stack ${stack} in ${path.dirname(candidates[0])}` };
    const read = stateFromCheckpoint(found.doc, stack);
    if (!read.ok) return read;
    const r = read.state.router;
    const live = path.join(r.nginxDir, routerProgram(r.stack, r.service), "nginx.conf");
    if (!fs.existsSync(live)) return { ok: false, reason: `the router's config ${live} is gone` };
    return { ...read, file: found.file };
  } catch (e) {
    return { ok: false, reason: `the checkpoint could not be read: ${(e as Error).message}` };
  }
}

/**
 * The fast read of `stack` of the project at `root`, with the backend the project's engine runs use
 * (scripts/engine-env.js pulumiEnv: $PULUMI_BACKEND_URL, else the project's .state/backend).
 */
export function readProjectFastState(root: string, stack: string): FastRead {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const engineEnv = require(path.join(root, "scripts", "engine-env.js")) as { fileBackendUrl(dir: string): string };
    const backend = process.env.PULUMI_BACKEND_URL || engineEnv.fileBackendUrl(path.join(root, ".state", "backend"));
    const project = /^name:\s*(\S+)\s*$/m.exec(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"))?.[1];
    if (!project) return { ok: false, reason: `${path.join(root, "Pulumi.yaml")} has no project name` };
    return readFastState(backend, project, stack);
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}
