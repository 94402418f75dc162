// Target-neutral vocabulary shared by every component and target.
import * as pulumi from "@pulumi/pulumi";

/** The package prefix of every type token: `runbook:<module>:<Type>`. */
export const PKG = "runbook";

export type Color = "blue" | "green";
export const COLORS: readonly Color[] = ["blue", "green"];

export function otherColor(c: Color): Color {
  return c === "blue" ? "green" : "blue";
}

/** Percent of requests each color receives; always sums to 100. */
export interface Weights {
  blue: number;
  green: number;
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
 * - promote: weight moves toward a release that has not yet served all traffic;
 * - rollback: weight moves toward a proven release (never gated or blocked);
 * - rolling: a color that serves traffic gets a new version with weights unchanged;
 * - hold: nothing that affects traffic changes.
 */
export type ShiftKind = "initial" | "promote" | "rollback" | "rolling" | "hold";

/** A release that has served 100% of traffic: an instant rollback target. */
export interface StableRelease {
  color: Color;
  version: string;
  /** ISO-8601 time this release reached 100%, when known. */
  since?: string;
}

/** The proven release of each color, with the time it reached 100%. */
export type ProvenReleases = Partial<Record<Color, { version: string; since: string }>>;

export interface ShiftPlan {
  kind: ShiftKind;
  /** Weights the last successful `up` applied (undefined on the first deployment). */
  previous?: Weights;
  next: Weights;
  /** The color gaining weight (promote/rollback/initial) or getting a new version (rolling). */
  towards?: Color;
  /** Versions the last successful `up` applied. */
  previousVersions: Partial<Record<Color, string>>;
  /** Proven releases before and after this update. */
  proven: ProvenReleases;
  nextProven: ProvenReleases;
  /** The instant rollback target before this update. */
  stable?: StableRelease;
  /** The instant rollback target after this update. */
  nextStable?: StableRelease;
  /**
   * A color whose release this update removes (its version was deleted from config), and the
   * proven release that replaced it, for the keep-period policy.
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
  /** Weights now applied. */
  weights: pulumi.Output<Weights>;
}

/** The outputs every target's backup snapshot exposes. */
export interface SnapshotOutputs {
  snapshotId: pulumi.Output<string>;
  /** ISO-8601 time the snapshot was taken. */
  takenAt: pulumi.Output<string>;
  /** True once a restore of the snapshot was verified (local), or the cloud reports it available. */
  verified: pulumi.Output<boolean>;
}

/** Header that routes a request to one color whatever the weights. */
export const COLOR_HEADER = "X-Runbook-Color";
/** Header every response of the sample service carries. */
export const VERSION_HEADER = "X-Runbook-Version";
