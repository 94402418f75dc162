// The interface each target (local, kubernetes, aws) implements. BlueGreenService composes these
// parts in the runbook's order: environments -> snapshot -> gates -> router weights.
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config/stack-config";
import { Color, EnvironmentOutputs, Release, RouterOutputs, ShiftPlan, SnapshotOutputs, Weights } from "../types";

export type EnvironmentResource = pulumi.ComponentResource & EnvironmentOutputs;
export type RouterResource = pulumi.ComponentResource & RouterOutputs;
export type SnapshotResource = pulumi.ComponentResource & SnapshotOutputs;

export interface TargetEnvironmentArgs {
  /** The service name from config (`service.name`). */
  service: string;
  color: Color;
  release: Release;
  /**
   * Whether the color serves traffic now (after the last up). A serving color's instances are
   * replaced one at a time, each ready before the next; an idle color only has to start, and the
   * health gate judges it before it gets any traffic. Defaults to true.
   */
  serving?: boolean;
}

export interface TargetRouterArgs {
  service: string;
  /** Weights to apply. */
  weights: Weights;
  /** The environments that exist (a color without a version has none). */
  environments: Partial<Record<Color, EnvironmentResource>>;
  /**
   * Called once every color is reachable by the X-Runbook-Color header and before any weight
   * changes; returns what the weights must wait for (the snapshot and the health gates). A router
   * that cannot separate the two calls it first, with no resources.
   */
  beforeWeights: (reachable: pulumi.Resource[]) => pulumi.Resource[];
}

export interface TargetSnapshotArgs {
  service: string;
  /**
   * Changing this takes a new snapshot. BlueGreenService passes the release being promoted, so
   * one snapshot covers every step of one promotion.
   */
  trigger: string;
}

/** Where a health gate reaches a color and reads its metrics. */
export interface GateEndpoint {
  /** Base URL to send requests to with the X-Runbook-Color header. */
  baseUrl: pulumi.Input<string>;
  /** The metrics source the analysis reads. */
  metrics: "prometheus" | "cloudwatch";
  /** Where the gate's database, cache and metrics checks connect, when the target knows. */
  databaseUrl?: pulumi.Input<string>;
  redisUrl?: string;
  prometheusUrl?: string;
}

export interface BlueGreenTarget {
  readonly name: StackConfig["target"];
  environment(name: string, args: TargetEnvironmentArgs, opts: pulumi.ComponentResourceOptions): EnvironmentResource;
  router(name: string, args: TargetRouterArgs, opts: pulumi.ComponentResourceOptions): RouterResource;
  snapshot(name: string, args: TargetSnapshotArgs, opts: pulumi.ComponentResourceOptions): SnapshotResource;
  /** Called before the router is created; the gate uses it to reach a color. */
  gateEndpoint(service: string): GateEndpoint;
}

/** Everything a target factory gets: the validated config and the shift plan. */
export interface TargetContext {
  config: StackConfig;
  plan: ShiftPlan;
}
