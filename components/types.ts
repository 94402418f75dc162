// Target-neutral vocabulary shared by every component, every target and the policy pack, and the
// rules about it that are written once: traffic sums to 100, replicas are 1-20, which kinds of
// change are promotions. Types only from Pulumi: the policy pack loads this module too.
import type * as pulumi from "@pulumi/pulumi";

/** The package prefix of every type token, `deployment-runbook:<module>:<Type>`: the package's own name. */
export const PKG = "deployment-runbook";
/** The prefix type tokens had before they matched the package name; aliases keep old stacks. */
export const OLD_PKG = "runbook";

export type Color = "blue" | "green";
export const COLORS: readonly Color[] = ["blue", "green"];

export function otherColor(c: Color): Color {
  return c === "blue" ? "green" : "blue";
}

/** Percent of requests each color receives; always sums to 100. */
export interface Traffic {
  blue: number;
  green: number;
}

/** Why `traffic` is not a valid split, or undefined when it is. */
export function trafficProblem(traffic: Traffic): string | undefined {
  const { blue, green } = traffic;
  const ok = (v: number) => Number.isInteger(v) && v >= 0 && v <= 100;
  return ok(blue) && ok(green) && blue + green === 100 ? undefined : `traffic must be integer percents from 0 to 100 summing to 100 (got blue ${blue}, green ${green})`;
}

/** Throws, naming `who`, when `traffic` is not a valid split. */
export function checkTraffic(who: string, traffic: Traffic): void {
  const problem = trafficProblem(traffic);
  if (problem) throw new Error(`${who}: ${problem}`);
}

/** Instances per color. */
export const REPLICAS = { min: 1, max: 20, default: 2 } as const;

/** Why `replicas` is not allowed, or undefined when it is. */
export function replicasProblem(replicas: number): string | undefined {
  return Number.isInteger(replicas) && replicas >= REPLICAS.min && replicas <= REPLICAS.max ? undefined : `replicas must be an integer from ${REPLICAS.min} to ${REPLICAS.max} (got ${replicas})`;
}

/** One color's release. */
export interface Release {
  /** The release version, e.g. v1.2.3. */
  version: string;
  /** Instances (processes, pods or tasks) of this release. */
  replicas: number;
  /** Extra environment for the service (fault knobs in tests, feature flags). */
  env: Record<string, string>;
}

/**
 * What a stack config edit asks for, classified against what the last `up` applied:
 * - initial: first deployment of the stack;
 * - promote: traffic moves toward a release that has not yet served all of it;
 * - rollback: traffic moves toward a stable release (never gated or blocked);
 * - rolling: a color that serves traffic gets a new version with traffic unchanged;
 * - hold: nothing that affects traffic changes.
 */
export type ShiftKind = "initial" | "promote" | "rollback" | "rolling" | "hold";

/**
 * True when the change moves traffic toward, or puts, a release that has not yet served all traffic:
 * gates run, a backup is taken and the checklist policies apply. The one definition of "promotion".
 */
export function isPromotion(kind: ShiftKind): boolean {
  return kind === "promote" || kind === "rolling" || kind === "initial";
}

/**
 * Rollback and hold are never blocked, never gated and never wait for a backup: moving traffic back
 * to the release that served it must be the fastest, least conditional path, and a hold moves none.
 */
export function neverBlocked(kind: ShiftKind): boolean {
  return !isPromotion(kind);
}

/** A release that has served 100% of traffic: stable, and so an instant rollback target. */
export interface StableRelease {
  color: Color;
  version: string;
  /** ISO-8601 time this release reached 100%, when known. */
  since?: string;
}

/** The stable release of each color, with the time it reached 100%. */
export type StableReleases = Partial<Record<Color, { version: string; since: string }>>;

/**
 * Releases that have served 100% (on either color) and have not been rolled back from since, newest
 * first: a version revert may bring one back to a color without a gate (the runbook's Method 2).
 */
export type ProvenReleases = { version: string; since: string }[];

/** The proven releases a stack from before the history existed had: its stable ones. */
export function provenFromStable(stable: StableReleases): ProvenReleases {
  return Object.values(stable)
    .filter((r): r is { version: string; since: string } => Boolean(r))
    .sort((a, b) => b.since.localeCompare(a.since));
}

export interface ShiftPlan {
  kind: ShiftKind;
  /** Traffic the last successful `up` applied (undefined on the first deployment). */
  previous?: Traffic;
  next: Traffic;
  /** The color gaining traffic (promote/rollback/initial) or getting a new version (rolling). */
  towards?: Color;
  /** Versions the last successful `up` applied. */
  previousVersions: Partial<Record<Color, string>>;
  /** Stable releases before and after this update. */
  stableReleases: StableReleases;
  nextStableReleases: StableReleases;
  /** Proven releases before and after this update (the `provenReleases` stack output). */
  provenReleases: ProvenReleases;
  nextProvenReleases: ProvenReleases;
  /** The stable release kept as the instant rollback target, before this update. */
  stable?: StableRelease;
  /** The same after this update (the `stable` stack output). */
  nextStable?: StableRelease;
  /**
   * A color whose release this update removes (its version was deleted from config), and the
   * stable release that replaced it, for the keep-period policy.
   */
  retiring?: { color: Color; version: string; replacedBy?: StableRelease };
}

/** The outputs every target's environment exposes. */
export interface EnvironmentOutputs {
  color: Color;
  version: pulumi.Output<string>;
  replicas: pulumi.Output<number>;
}

/** The outputs every target's router exposes. */
export interface RouterOutputs {
  /** Address users (and gates, with X-Runbook-Color) reach the service at. */
  url: pulumi.Output<string>;
  /** Traffic now applied. */
  traffic: pulumi.Output<Traffic>;
}

/** The outputs every target's backup exposes. */
export interface BackupOutputs {
  backupId: pulumi.Output<string>;
  /** ISO-8601 time the backup was taken. */
  takenAt: pulumi.Output<string>;
  /** True once a restore of the backup was verified (local), or the cloud reports it available. */
  verified: pulumi.Output<boolean>;
}

/** Header that routes a request to one color whatever the traffic. */
export const COLOR_HEADER = "X-Runbook-Color";
/** Header every response of the sample service carries. */
export const VERSION_HEADER = "X-Runbook-Version";
