// What a target is: the parts BlueGreenService composes (environments, the router's two steps, the
// backup, where gates reach a color), its section of the stack config, and how the policy pack finds
// its resources. Each target lives in its own folder (components/targets/<name>/) and is registered
// by name (registry.ts); nothing shared names a target.
import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import type { CheckName } from "../gates/gate-config";
import type { MetricsSourceSpec } from "../gates/metrics-source";
import type { MaintenancePage } from "../config/maintenance-config";
import type { Role } from "../roles";
import type { LogsContext, ServiceLogs } from "./service-logs";
import type { StackConfig } from "../config/stack-config";
import type { BackupOutputs, Color, EnvironmentOutputs, Release, RouterOutputs, ShiftPlan, Traffic } from "../types";

export type EnvironmentResource = pulumi.ComponentResource & EnvironmentOutputs;
export type RouterResource = pulumi.ComponentResource & RouterOutputs;
export type BackupResource = pulumi.ComponentResource & BackupOutputs;

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

export interface TargetBackendsArgs {
  service: string;
  /** The environments that exist (a color without a version has none). */
  environments: Partial<Record<Color, EnvironmentResource>>;
}

/** The router's first step: every color reachable by the color header, no traffic moved yet. */
export interface RouterBackends {
  /** What the backup and the gates wait for: once these exist, a gate can reach any color. */
  readonly reachable: pulumi.Resource[];
}

export interface TargetTrafficArgs {
  service: string;
  /** The split to apply. */
  traffic: Traffic;
  /** While set, users get the maintenance page; health endpoints and X-Runbook-Color requests still reach the colors. */
  maintenance?: MaintenancePage;
  environments: Partial<Record<Color, EnvironmentResource>>;
  /** What the first step returned. */
  backends: RouterBackends;
  /**
   * What the resource carrying the split must depend on itself (dependsOn): the backup, the health
   * gates and the deployment record. A failed gate then leaves traffic as it was. The
   * gate-before-shift policy refuses a promotion whose traffic resource does not.
   */
  after: pulumi.Resource[];
}

export interface TargetBackupArgs {
  service: string;
  /**
   * Changing this takes a new backup. BlueGreenService passes the release being promoted, so
   * one backup covers every step of one promotion.
   */
  trigger: string;
}

/** Where a health gate reaches a color, its dependencies and its metrics. */
export interface GateEndpoint {
  /** Base URL to send requests to with the X-Runbook-Color header. */
  baseUrl: pulumi.Input<string>;
  /** Host header of those requests, when baseUrl is an address of a gateway serving several hosts. Defaults to the URL's. */
  host?: string;
  /** The service's PostgreSQL (a secret: it carries a password), for the database check. */
  databaseUrl?: pulumi.Input<string>;
  /** The service's Redis, for the cache check (a secret when it carries a password). */
  redisUrl?: pulumi.Input<string>;
  /** The metrics source the analysis reads (error-rate, latency). */
  metrics?: pulumi.Input<MetricsSourceSpec>;
  /** A directory on the hosts running the colors whose filesystem the infrastructure check judges. Defaults to "/". */
  hostDiskPath?: string;
}

/** The parts of one target, built for one update. */
export interface BlueGreenTarget {
  environment(name: string, args: TargetEnvironmentArgs, opts: pulumi.ComponentResourceOptions): EnvironmentResource;
  /** Step 1 of the router. */
  routerBackends(name: string, args: TargetBackendsArgs, opts: pulumi.ComponentResourceOptions): RouterBackends;
  /** Step 2 of the router: the split, after everything in `args.after`. */
  routerTraffic(name: string, args: TargetTrafficArgs, opts: pulumi.ComponentResourceOptions): RouterResource;
  backup(name: string, args: TargetBackupArgs, opts: pulumi.ComponentResourceOptions): BackupResource;
  /** Called after the router's first step, before the gates. */
  gateEndpoint(service: string, environments: Partial<Record<Color, EnvironmentResource>>): GateEndpoint;
}

/** Everything a target factory gets: the validated config and the shift plan. */
export interface TargetContext {
  config: StackConfig;
  plan: ShiftPlan;
}

/** A resource as the policy pack sees it: its type token and its properties. */
export interface SeenResource {
  type: string;
  props: Record<string, unknown>;
}

/**
 * How the policy pack reads a target's resources. Each function gets a resource of the stack and
 * answers for the resources this target registers (undefined for any other).
 */
export interface TargetResources {
  /** The role marker the program put on the resource. */
  roleOf(r: SeenResource): Role | undefined;
  /** The color the resource runs or serves, when it says. */
  colorOf(r: SeenResource): string | undefined;
  /** The service the resource belongs to, when it says. */
  serviceOf(r: SeenResource): string | undefined;
}

/** Which gate checks a target can run with a given config. */
export interface GateCheckSupport {
  /** The checks that can run: the default of `gates.checks` on this target. */
  runnable: CheckName[];
  /** For each check that cannot run, the config key that would let it (named in the error). */
  missing: Partial<Record<CheckName, string>>;
  /** For each check no config lets this target run, why (named in the error). Defaults to none. */
  unsupported?: Partial<Record<CheckName, string>>;
}

export interface TargetDefinition<Section = unknown> {
  /** The `target` config value, also the name of its config section (`<name>.*`). */
  name: string;
  /** Its section of the stack config: a strict zod object whose fields all have defaults. */
  configSchema: z.ZodType<Section, z.ZodTypeDef, unknown>;
  /** Cross-field rules of its section beyond the schema; each problem names its config key. */
  validate?(section: Section, config: StackConfig): string[];
  /** The gate checks this target can run. */
  gateChecks(section: Section): GateCheckSupport;
  /** How the policy pack finds this target's resources. */
  resources: TargetResources;
  /** Where npm run logs and npm run errors read the service's logs; absent when the target cannot say. */
  logs?(section: Section, ctx: LogsContext): Promise<ServiceLogs>;
  /** Builds the target for one update; loaded only when chosen (cloud SDKs are large). */
  create(section: Section, ctx: TargetContext): Promise<BlueGreenTarget>;
}
