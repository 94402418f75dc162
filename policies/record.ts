// Reading what the program registered, as the policies see it: the deployment record (one per
// blue/green service) and the engine's unknown values.
//
// The pack runs in its own process and judges what was registered, not what the program meant to
// register: it reads the resources' properties. The vocabulary (colors, kinds of change, roles) and
// the rules about it come from the program's own pure modules, so both agree by construction.
import { UnknownValueError } from "@pulumi/policy";
import { DYNAMIC_TYPE, ROLE_PROPERTY, ROLES } from "../components/roles";
import type { ChangeEvidence, CiEvidence } from "../components/config/predeploy-config";
import type { Color, ShiftPlan } from "../components/types";

export { CONFIG_NAMESPACE } from "../components/config/schema-helpers";
export { DYNAMIC_TYPE } from "../components/roles";
export { COLORS, isPromotion, neverBlocked } from "../components/types";
export type { Color, ShiftKind, StableRelease, Traffic } from "../components/types";

/** A backup as the record states it; each field may be unknown while previewing. */
export interface RecordedBackup {
  backupId: string | Unknown;
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
  backup: RecordedBackup | undefined | Unknown;
  /** `backup.refreshAfterMinutes` as the program used it (undefined in records written before it was recorded). */
  backupRefreshAfterMinutes?: number;
  gates: string[];
  sensitiveConfig: { key: string; secret: boolean }[];
  /** What the staging stack ran at 100% (`predeploy.stagingStack`); absent when the stack names none or for a rollback. */
  staging?: { stack: string; provenVersions: string[] };
  /** The release's CI result (`predeploy.ci`). */
  ci?: CiEvidence;
  /** The change since the stable release (`predeploy.changeSize`). */
  changeSize?: ChangeEvidence;
}

// ---------------------------------------------------------------------------------------------
// Unknown values.
//
// During `preview` a value that depends on a resource not yet created or updated (the backup
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

/** True when the resource is a deployment record (a dynamic resource with the record's role). */
export function isRecord(type: string, props: unknown): boolean {
  return type === DYNAMIC_TYPE && read(props, ROLE_PROPERTY) === ROLES.record;
}

/**
 * Copies a record's properties into plain data. Only the backup may be unknown (it is taken in
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
    backup: readBackup(props),
    backupRefreshAfterMinutes: plain<number | undefined>("backupRefreshAfterMinutes"),
    gates: plain<string[]>("gates") ?? [],
    sensitiveConfig: plain<{ key: string; secret: boolean }[]>("sensitiveConfig") ?? [],
    staging: plain<{ stack: string; provenVersions: string[] } | undefined>("staging") ?? undefined,
    ci: plain<CiEvidence | undefined>("ci") ?? undefined,
    changeSize: plain<ChangeEvidence | undefined>("changeSize") ?? undefined,
  };
}

function readBackup(props: Record<string, unknown>): DeploymentRecord["backup"] {
  const s = read(props, "backup");
  if (s === UNKNOWN) return UNKNOWN;
  if (s === undefined || s === null) return undefined;
  const field = (k: string) => read(s, k);
  return {
    backupId: field("backupId") as string | Unknown,
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
