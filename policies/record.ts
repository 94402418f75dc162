// Reading what the program registered, as the policies see it: the deployment record (one per
// blue/green service) and the engine's unknown values.
//
// The pack deliberately does not import the program's modules (components/): it runs in its own
// process, from the policies folder, and must judge what was registered, not what the program
// meant to register. The few names it shares with the program are repeated here.
import { UnknownValueError } from "@pulumi/policy";

/** Config namespace of the stack, as in `deployment-runbook:hotfix`. */
export const CONFIG_NAMESPACE = "deployment-runbook";
/** Type token of every Node.js dynamic resource (the record, gates, and the local target). */
export const DYNAMIC_TYPE = "pulumi-nodejs:dynamic:Resource";

export type Color = "blue" | "green";
export const COLORS: readonly Color[] = ["blue", "green"];
export type ShiftKind = "initial" | "promote" | "rollback" | "rolling" | "hold";

export interface Weights {
  blue: number;
  green: number;
}

export interface StableRelease {
  color: Color;
  version: string;
  /** ISO-8601 time the release reached 100%, when known. */
  since?: string;
}

export interface ShiftPlan {
  kind: ShiftKind;
  previous?: Weights;
  next: Weights;
  towards?: Color;
  stable?: StableRelease;
  nextStable?: StableRelease;
  /** A color whose release this update removes, and the proven release that replaced it. */
  retiring?: { color: Color; version: string; replacedBy?: StableRelease };
}

/** A snapshot as the record states it; each field may be unknown while previewing. */
export interface RecordedSnapshot {
  snapshotId: string | Unknown;
  takenAt: string | Unknown;
  verified: boolean | Unknown;
}

/** The deployment record's properties, copied out of the engine's proxy into plain data. */
export interface DeploymentRecord {
  project: string;
  stack: string;
  service: string;
  target: string;
  plan: ShiftPlan;
  versions: Partial<Record<Color, string>>;
  hotfix: boolean;
  maintenance: boolean;
  /** undefined: the record has none; UNKNOWN: it is taken in this very update (preview). */
  snapshot: RecordedSnapshot | undefined | Unknown;
  gates: string[];
  sensitiveConfig: { key: string; secret: boolean }[];
}

// ---------------------------------------------------------------------------------------------
// Unknown values.
//
// During `preview` a value that depends on a resource not yet created or updated (the snapshot
// taken in this update) is unknown. The engine sends it to the pack as a sentinel string, and
// @pulumi/policy 1.21 wraps `props` in a proxy (`unknownCheckingProxy`) that throws
// `UnknownValueError` when such a property is read. A policy that lets it escape is reported by
// the pack as an advisory "can't run policy ... during preview" and judges nothing, so the
// policies that expect an unknown read it through `read` below.

/** Marks a value the engine does not know yet (preview only). */
export const UNKNOWN: unique symbol = Symbol("unknown");
export type Unknown = typeof UNKNOWN;

// The engine's wire sentinels (sdk/go/common/resource/plugin/rpc.go). The proxy catches them on
// property reads; this list also catches one reached some other way (a raw object, an array).
const SENTINELS = new Set([
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // string (what an unknown Output usually becomes)
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
  "030794c1-ac77-496b-92df-f27374a8bd58", // asset
  "e48ece36-62e2-4504-bad9-02848725956a", // archive
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
]);

/**
 * `UnknownValueError` is exported by @pulumi/policy at runtime, but its declaration is marked
 * internal and stripped from the typings, so TypeScript sees `any`; this is the one place that
 * relies on it.
 */
export function isUnknownValueError(e: unknown): boolean {
  return typeof UnknownValueError === "function" && e instanceof UnknownValueError;
}

/** `obj[key]`, or UNKNOWN when the engine does not know the value yet. Never throws for that. */
export function read(obj: unknown, key: string | number): unknown {
  if (typeof obj !== "object" || obj === null) return undefined;
  let value: unknown;
  try {
    value = (obj as Record<string | number, unknown>)[key];
  } catch (e) {
    if (isUnknownValueError(e)) return UNKNOWN;
    throw e;
  }
  return typeof value === "string" && SENTINELS.has(value) ? UNKNOWN : value;
}

/** Follows a path of keys with `read`; undefined when a step is missing, UNKNOWN when unknown. */
export function at(obj: unknown, ...path: (string | number)[]): unknown {
  let node: unknown = obj;
  for (const key of path) {
    if (node === UNKNOWN) return UNKNOWN;
    node = read(node, key);
  }
  return node;
}

/** A known string at the path, or undefined (missing, unknown or not a string). */
export function str(obj: unknown, ...path: (string | number)[]): string | undefined {
  const v = at(obj, ...path);
  return typeof v === "string" ? v : undefined;
}

// ---------------------------------------------------------------------------------------------
// The deployment record.

/** True when the resource is a deployment record (a dynamic resource marked `runbook`). */
export function isRecord(type: string, props: unknown): boolean {
  return type === DYNAMIC_TYPE && read(props, "runbook") === "deployment-record";
}

/**
 * Copies a record's properties into plain data. Only the snapshot may be unknown (it is taken in
 * the same update); any other unknown field is unexpected and its UnknownValueError is left to the
 * pack, which reports the policy as unable to run during preview rather than guessing.
 */
export function readRecord(type: string, props: Record<string, unknown>): DeploymentRecord | undefined {
  if (!isRecord(type, props)) return undefined;
  const plain = <T>(key: string): T => copy(props[key]) as T;
  return {
    project: plain<string>("project"),
    stack: plain<string>("stack"),
    service: plain<string>("service"),
    target: plain<string>("target"),
    plan: plain<ShiftPlan>("plan"),
    versions: plain<Partial<Record<Color, string>>>("versions") ?? {},
    hotfix: plain<boolean>("hotfix") === true,
    maintenance: plain<boolean>("maintenance") === true,
    snapshot: readSnapshot(props),
    gates: plain<string[]>("gates") ?? [],
    sensitiveConfig: plain<{ key: string; secret: boolean }[]>("sensitiveConfig") ?? [],
  };
}

function readSnapshot(props: Record<string, unknown>): DeploymentRecord["snapshot"] {
  const s = read(props, "snapshot");
  if (s === UNKNOWN) return UNKNOWN;
  if (s === undefined || s === null) return undefined;
  const field = (k: string) => read(s, k);
  return {
    snapshotId: field("snapshotId") as string | Unknown,
    takenAt: field("takenAt") as string | Unknown,
    verified: field("verified") as boolean | Unknown,
  };
}

/** A deep plain copy (reads every property through the proxy, so unknowns throw here). */
function copy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copy);
  if (typeof v === "object" && v !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = copy((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/**
 * Rollback and hold are never blocked by any policy in this pack: moving traffic back to the
 * release that served it must be the fastest, least conditional path (spec: DESIGN.md), and a
 * hold moves no traffic.
 */
export function neverBlocked(kind: ShiftKind): boolean {
  return kind === "rollback" || kind === "hold";
}

/** "promotion toward green v2.0.0": how messages name the change the record describes. */
export function describeChange(r: DeploymentRecord): string {
  const color = r.plan.towards;
  if (!color) return `${r.plan.kind} of ${r.service}`;
  const version = r.versions[color];
  const release = version ? `${color} ${version}` : color;
  switch (r.plan.kind) {
    case "initial":
      return `initial deployment of ${release}`;
    case "rolling":
      return `rolling update of ${release}`;
    case "rollback":
      return `rollback toward ${release}`;
    default:
      return `promotion toward ${release}`;
  }
}
