// Finding things in the stack, for the stack validation policies: records, each target's
// environments and weight-bearing router, health gates, and what a resource depends on.
//
// Resources on every target say which color they run (dynamic props `color`, Kubernetes label
// `color`, AWS tag `color`) and, when they carry one, which service (`service` prop, label `app`,
// tag `app` or `service`). A resource that names no service is taken to belong to any service.
import { PolicyResource } from "@pulumi/policy";
import { Color, DeploymentRecord, DYNAMIC_TYPE, neverBlocked, read, readRecord, str, UNKNOWN } from "./record";

export const K8S_DEPLOYMENT = "kubernetes:apps/v1:Deployment";
export const K8S_SERVICE = "kubernetes:core/v1:Service";
export const K8S_HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";
export const K8S_PDB = "kubernetes:policy/v1:PodDisruptionBudget";
export const ECS_SERVICE = "aws:ecs/service:Service";
export const LB_LISTENER = "aws:lb/listener:Listener";
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

function runbookRole(r: PolicyResource): unknown {
  return r.type === DYNAMIC_TYPE ? read(r.props, "runbook") : undefined;
}

function labelOrTag(r: PolicyResource, key: string): string | undefined {
  if (r.type.startsWith("kubernetes:")) return str(r.props, "metadata", "labels", key);
  if (r.type.startsWith("aws:")) return str(r.props, "tags", key) ?? str(r.props, "tagsAll", key);
  return str(r.props, key);
}

/** The color a resource runs or serves, when it says. */
export function colorOf(r: PolicyResource): string | undefined {
  return labelOrTag(r, "color");
}

/** The service a resource belongs to, when it says. */
export function serviceOf(r: PolicyResource): string | undefined {
  if (r.type === DYNAMIC_TYPE) return str(r.props, "service");
  return labelOrTag(r, "app") ?? (r.type.startsWith("aws:") ? labelOrTag(r, "service") : undefined);
}

function sameService(r: PolicyResource, service: string): boolean {
  const s = serviceOf(r);
  return s === undefined || s === service;
}

/** The environments (per-color workloads) of the record's service and target running `color`. */
export function environmentsOf(resources: PolicyResource[], record: DeploymentRecord, color: Color): PolicyResource[] {
  const isEnvironment = (r: PolicyResource): boolean => {
    switch (record.target) {
      case "kubernetes":
        return r.type === K8S_DEPLOYMENT;
      case "aws":
        return r.type === ECS_SERVICE;
      default:
        return runbookRole(r) === "environment";
    }
  };
  return resources.filter((r) => isEnvironment(r) && colorOf(r) === color && sameService(r, record.service));
}

/**
 * The resources that carry the blue/green weights for the record's service. A color's own preview
 * route (Kubernetes HTTPRoute labelled `color`) or preview listener (AWS listener tagged `color`)
 * is how gates reach that color before it has weight; it is not weight-bearing.
 */
export function routersOf(resources: PolicyResource[], record: DeploymentRecord): PolicyResource[] {
  const isRouter = (r: PolicyResource): boolean => {
    switch (record.target) {
      case "kubernetes":
        if (r.type === K8S_HTTP_ROUTE) return colorOf(r) === undefined;
        return r.type === K8S_SERVICE && (r.name.endsWith("-active") || (str(r.props, "metadata", "name") ?? "").endsWith("-active"));
      case "aws":
        return r.type === LB_LISTENER && colorOf(r) === undefined;
      default:
        return runbookRole(r) === "router";
    }
  };
  return resources.filter((r) => isRouter(r) && sameService(r, record.service));
}

export function isHealthGate(r: PolicyResource): boolean {
  return runbookRole(r) === "health-gate";
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
  const seen = new Map<string, PolicyResource>();
  const queue = [...r.dependencies];
  while (queue.length > 0) {
    const d = queue.shift()!;
    if (seen.has(d.urn) || d.urn === r.urn) continue;
    seen.set(d.urn, d);
    queue.push(...d.dependencies, ...(children.get(d.urn) ?? []));
  }
  return [...seen.values()];
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
