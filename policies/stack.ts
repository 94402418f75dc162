// Finding things in the stack, for the stack validation policies: records, each target's
// environments and traffic-bearing router, health gates, and what a resource depends on.
//
// Every resource that plays a part in the runbook's flow carries a role marker (components/roles.ts)
// where its target puts it (a dynamic property, a Kubernetes label, an AWS tag); the target's own
// description (components/targets/<name>/, through the registry) says how to read it. A resource
// that names no service is taken to belong to any service.
import { PolicyResource } from "@pulumi/policy";
import { ROLES, Role } from "../components/roles";
import { dynamicResources } from "../components/targets/dynamic-resources";
import "../components/targets/builtin";
import { registeredTargets } from "../components/targets/registry";
import type { SeenResource, TargetResources } from "../components/targets/target";
import { Color, DeploymentRecord, isUnknownValueError, neverBlocked, read, readRecord, UNKNOWN } from "./record";

export const K8S_DEPLOYMENT = "kubernetes:apps/v1:Deployment";
export const K8S_PDB = "kubernetes:policy/v1:PodDisruptionBudget";
export const LB_TARGET_GROUPS = ["aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup"];

export interface FoundRecord {
  resource: PolicyResource;
  record: DeploymentRecord;
}

/** Every deployment record in the stack. */
export function recordsIn(resources: PolicyResource[]): FoundRecord[] {
  const found: FoundRecord[] = [];
  for (const resource of resources) {
    const record = readRecord(resource.type, resource.props);
    if (record) found.push({ resource, record });
  }
  return found;
}

/** Plain string reads through the engine's proxy: an unknown value reads as "not said". */
function seen(r: PolicyResource): SeenResource {
  const props = new Proxy(r.props, {
    get: (target, key) => {
      const v = read(target, key as string);
      return v === UNKNOWN ? undefined : v;
    },
  });
  return { type: r.type, props };
}

/** The descriptions that can answer for `r`: the dynamic resources' (gates, record) and every target's. */
function descriptions(): TargetResources[] {
  return [dynamicResources, ...registeredTargets().map((t) => t.resources)];
}

function first<T>(r: PolicyResource, pick: (d: TargetResources, s: SeenResource) => T | undefined): T | undefined {
  const s = seen(r);
  for (const d of descriptions()) {
    try {
      const v = pick(d, s);
      if (v !== undefined) return v;
    } catch (e) {
      // A label or tag the engine does not know yet (preview) says nothing.
      if (!isUnknownValueError(e)) throw e;
    }
  }
  return undefined;
}

/** The role marker the program put on `r`. */
export function roleOf(r: PolicyResource): Role | undefined {
  return first(r, (d, s) => d.roleOf(s));
}

/** The color a resource runs or serves, when it says. */
export function colorOf(r: PolicyResource): string | undefined {
  return first(r, (d, s) => d.colorOf(s));
}

/** The service a resource belongs to, when it says. */
export function serviceOf(r: PolicyResource): string | undefined {
  return first(r, (d, s) => d.serviceOf(s));
}

function sameService(r: PolicyResource, service: string): boolean {
  const s = serviceOf(r);
  return s === undefined || s === service;
}

/** The environments (per-color workloads) of the record's service running `color`. */
export function environmentsOf(resources: PolicyResource[], record: DeploymentRecord, color: Color): PolicyResource[] {
  return resources.filter((r) => roleOf(r) === ROLES.environment && colorOf(r) === color && sameService(r, record.service));
}

/** The resources that carry the blue/green split for the record's service. */
export function routersOf(resources: PolicyResource[], record: DeploymentRecord): PolicyResource[] {
  return resources.filter((r) => roleOf(r) === ROLES.routerTraffic && sameService(r, record.service));
}

export function isHealthGate(r: PolicyResource): boolean {
  return roleOf(r) === ROLES.healthGate;
}

/**
 * Everything `r` depends on, transitively. A dependency that is a component also brings its
 * children (the Node.js SDK usually expands `dependsOn: component` itself; this covers the case
 * where only the component's URN was recorded).
 */
export function dependencyClosure(r: PolicyResource, all: PolicyResource[]): PolicyResource[] {
  const children = new Map<string, PolicyResource[]>();
  for (const c of all) {
    if (c.parent) children.set(c.parent.urn, [...(children.get(c.parent.urn) ?? []), c]);
  }
  const found = new Map<string, PolicyResource>();
  const queue = [...r.dependencies];
  while (queue.length > 0) {
    const d = queue.shift()!;
    if (found.has(d.urn) || d.urn === r.urn) continue;
    found.set(d.urn, d);
    queue.push(...d.dependencies, ...(children.get(d.urn) ?? []));
  }
  return [...found.values()];
}

/** How messages name a gate: `web-green-gate (green, run false)`. */
export function describeGate(g: PolicyResource): string {
  const run = read(g.props, "run");
  return `${g.name} (${colorOf(g) ?? "no color"}, run ${run === UNKNOWN ? "unknown" : String(run)})`;
}

/**
 * True when no policy may block this workload: the records of its service (all records, when it
 * names no service or none matches) all roll back or hold. A stack without records is never waived.
 */
export function waived(workload: PolicyResource, records: FoundRecord[]): boolean {
  const service = serviceOf(workload);
  const own = records.filter((f) => f.record.service === service);
  const judged = own.length > 0 ? own : records;
  return judged.length > 0 && judged.every((f) => neverBlocked(f.record.plan.kind));
}
