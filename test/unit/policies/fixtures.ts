// Fixtures for the policy unit tests: fake validation args shaped like @pulumi/policy 1.21's
// (policy.d.ts), with props wrapped in the pack's real unknown-checking proxy, so a property the
// engine did not know during preview throws exactly as it does under the engine.
import {
  PolicyConfigSchema,
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
  unknownCheckingProxy,
} from "@pulumi/policy";
import * as policyModule from "@pulumi/policy/policy";
import { schemaDefaults } from "../../../policies/config";
import { ROLE_LABEL } from "../../../components/roles";

export const DYNAMIC = "pulumi-nodejs:dynamic:Resource";
/** What the engine sends for an unknown value (an unknown Output becomes the string sentinel). */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Thursday 2026-11-26 10:00 UTC (11:00 in Berlin): inside the default window. */
export const THURSDAY = "2026-11-26T10:00:00Z";
/** Friday 2026-11-27 16:00 in Berlin. */
export const FRIDAY_4PM_BERLIN = "2026-11-27T15:00:00Z";

/** Minutes before THURSDAY, as an ISO time. */
export function minutesBeforeThursday(m: number): string {
  return new Date(Date.parse(THURSDAY) - m * 60_000).toISOString();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Props = Record<string, any>;

/**
 * A compliant promotion: green v2.0.0 takes its first 10% from blue v1.0.0 (stable since last
 * week), with a verified backup taken 30 minutes before THURSDAY, on the local target.
 */
export function promotion(): Props {
  return {
    runbook: "deployment-record",
    project: "deployment-runbook",
    stack: "dev",
    service: "web",
    target: "local",
    plan: {
      kind: "promote",
      previous: { blue: 100, green: 0 },
      next: { blue: 90, green: 10 },
      towards: "green",
      stable: { color: "blue", version: "v1.0.0", since: "2026-11-19T09:00:00.000Z" },
      nextStable: { color: "blue", version: "v1.0.0", since: "2026-11-19T09:00:00.000Z" },
    },
    versions: { blue: "v1.0.0", green: "v2.0.0" },
    hotfix: false,
    maintenance: false,
    backup: { backupId: "web-20261126-0930", takenAt: minutesBeforeThursday(30), verified: true },
    backupRefreshAfterMinutes: 50,
    gates: ["web-green-gate"],
    sensitiveConfig: [{ key: "deployment-runbook:notifications.webhookUrl", secret: true }],
    directory: "/tmp/records",
  };
}

/** Traffic moving back to blue v1.0.0, the stable release, after green v2.0.0 misbehaved at 50%. */
export function rollback(): Props {
  const r = promotion();
  r.plan = {
    kind: "rollback",
    previous: { blue: 50, green: 50 },
    next: { blue: 100, green: 0 },
    towards: "blue",
    stable: { color: "blue", version: "v1.0.0", since: "2026-11-19T09:00:00.000Z" },
    nextStable: { color: "blue", version: "v1.0.0", since: "2026-11-19T09:00:00.000Z" },
  };
  return r;
}

/** A resource the way a test describes it: dependencies and parent by name. */
export interface FakeResource {
  type: string;
  name: string;
  props: Props;
  dependsOn?: string[];
  parent?: string;
}

const urnOf = (type: string, name: string) => `urn:pulumi:dev::deployment-runbook::${type}::${name}`;

const opts = { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] };

function configOf(schema: PolicyConfigSchema | undefined, config: object): <T extends object>() => T {
  return <T extends object>() => ({ ...(schema ? schemaDefaults(schema) : {}), ...config }) as T;
}

function notApplicable(reason?: string): never {
  throw new Error(`not applicable: ${reason}`);
}

export interface Violation {
  message: string;
  urn?: string;
}

/** Runs a resource policy on one resource; returns the messages it reported. */
export async function checkResource(policy: ResourceValidationPolicy, r: FakeResource, config: object = {}): Promise<string[]> {
  const reports: string[] = [];
  const args: ResourceValidationArgs = {
    type: r.type,
    name: r.name,
    urn: urnOf(r.type, r.name),
    props: unknownCheckingProxy(structuredClone(r.props)),
    opts,
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: configOf(policy.configSchema, config),
    notApplicable,
  };
  const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
  for (const v of validations) await v(args, (message) => reports.push(message));
  return reports;
}

/** Runs a resource policy on a deployment record's props. */
export function checkRecord(policy: ResourceValidationPolicy, props: Props, config: object = {}): Promise<string[]> {
  return checkResource(policy, { type: DYNAMIC, name: "web-record", props }, config);
}

/** Builds the stack a stack policy sees. */
export function stackResources(resources: FakeResource[]): PolicyResource[] {
  const byName = new Map<string, PolicyResource>();
  for (const r of resources) {
    byName.set(r.name, {
      type: r.type,
      name: r.name,
      urn: urnOf(r.type, r.name),
      props: unknownCheckingProxy(structuredClone(r.props)),
      opts,
      dependencies: [],
      propertyDependencies: {},
      isType: () => false,
      asType: () => undefined,
    });
  }
  const find = (name: string) => {
    const found = byName.get(name);
    if (!found) throw new Error(`fixture: no resource named ${name}`);
    return found;
  };
  // Like the engine, a dependency or parent that is not in the stack (a test removed it) is dropped.
  for (const r of resources) {
    const p = find(r.name);
    p.dependencies = (r.dependsOn ?? []).flatMap((d) => byName.get(d) ?? []);
    const parent = r.parent ? byName.get(r.parent) : undefined;
    if (parent) p.parent = parent;
  }
  return resources.map((r) => find(r.name));
}

/** Runs a stack policy; returns what it reported, with the URN it named. */
export async function checkStack(policy: StackValidationPolicy, resources: FakeResource[], config: object = {}): Promise<Violation[]> {
  const reports: Violation[] = [];
  const args: StackValidationArgs = {
    resources: stackResources(resources),
    stackTags: new Map(),
    getConfig: configOf(policy.configSchema, config),
    notApplicable,
  };
  await policy.validateStack(args, (message, urn) => reports.push(urn === undefined ? { message } : { message, urn }));
  return reports;
}

export const urn = urnOf;

/** The local target's stack for a record: both environments, the green gate, the router. */
export function localStack(record: Props = promotion()): FakeResource[] {
  return [
    { type: DYNAMIC, name: "web-blue-processes", props: { runbook: "environment", stack: "dev", service: "web", color: "blue", version: "v1.0.0" } },
    { type: DYNAMIC, name: "web-green-processes", props: { runbook: "environment", stack: "dev", service: "web", color: "green", version: "v2.0.0" } },
    { type: DYNAMIC, name: "web-backup", props: { runbook: "backup", backupId: "web-20261126-0930" } },
    { type: DYNAMIC, name: "web-green-gate", props: { runbook: "health-gate", color: "green", run: true }, dependsOn: ["web-green-processes"] },
    {
      type: DYNAMIC,
      name: "web-router-nginx",
      props: { runbook: "router-traffic", stack: "dev", service: "web", traffic: record.plan.next },
      dependsOn: ["web-blue-processes", "web-green-processes", "web-backup", "web-green-gate"],
    },
    { type: DYNAMIC, name: "web-record", props: record },
  ];
}

/** One color's Deployment as the kubernetes target registers it (outputs shape). */
export function k8sDeployment(color: "blue" | "green", version: string): FakeResource {
  const labels = { app: "web", color, version };
  const probe = (path: string) => ({ httpGet: { path, port: "http" }, periodSeconds: 5 });
  return {
    type: "kubernetes:apps/v1:Deployment",
    name: `web-${color}-deployment`,
    props: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: `web-${color}-deployment-1a2b3c`, namespace: "default", labels: { ...labels, [ROLE_LABEL]: "environment" } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "web", color } },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: "web",
                image: `registry.example.com/web:${version}`,
                resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
                readinessProbe: probe("/readyz"),
                livenessProbe: probe("/healthz"),
              },
            ],
          },
        },
      },
    },
  };
}

export function k8sBudget(color: "blue" | "green"): FakeResource {
  return {
    type: "kubernetes:policy/v1:PodDisruptionBudget",
    name: `web-${color}-pdb`,
    props: { metadata: { namespace: "default", labels: { app: "web", color } }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: "web", color } } } },
  };
}

/** The kubernetes target's stack: both colors with budgets, the green gate, the weighted route. */
export function k8sStack(record: Props = { ...promotion(), target: "kubernetes" }): FakeResource[] {
  return [
    k8sDeployment("blue", "v1.0.0"),
    k8sBudget("blue"),
    k8sDeployment("green", "v2.0.0"),
    k8sBudget("green"),
    {
      type: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
      name: "web-green-header",
      props: { metadata: { labels: { app: "web", color: "green", [ROLE_LABEL]: "router-backends" } }, spec: { rules: [{ matches: [{ headers: [{ name: "X-Runbook-Color", value: "green" }] }] }] } },
      dependsOn: ["web-green-deployment"],
    },
    { type: DYNAMIC, name: "web-green-gate", props: { runbook: "health-gate", color: "green", run: true }, dependsOn: ["web-green-header"] },
    {
      type: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
      name: "web-router-route",
      props: { metadata: { labels: { app: "web", [ROLE_LABEL]: "router-traffic" } }, spec: { rules: [{ backendRefs: [{ name: "web-blue", weight: 90 }, { name: "web-green", weight: 10 }] }] } },
      dependsOn: ["web-green-gate"],
    },
    { type: DYNAMIC, name: "web-record", props: record },
  ];
}

/** A target group as the aws target registers it (outputs shape). */
export function targetGroup(color: "blue" | "green"): FakeResource {
  return {
    type: "aws:lb/targetGroup:TargetGroup",
    name: `web-${color}-tg`,
    props: {
      port: 8080,
      protocol: "HTTP",
      targetType: "ip",
      healthCheck: { enabled: true, path: "/readyz", protocol: "HTTP", interval: 10, healthyThreshold: 2, unhealthyThreshold: 3, matcher: "200" },
      tags: { app: "web", color },
    },
  };
}

interface PackCall {
  name: string;
  args: { policies: (ResourceValidationPolicy | StackValidationPolicy)[]; enforcementLevel?: string; description?: string };
}

let loaded: PackCall | undefined;

/**
 * Loads policies/index the way the engine does, but with PolicyPack replaced by a recorder: the
 * real constructor starts the pack's gRPC server. Returns what index passed to PolicyPack.
 */
export function loadPack(): PackCall {
  if (loaded) return loaded;
  const mod = policyModule as unknown as { PolicyPack: unknown };
  const real = mod.PolicyPack;
  let call: PackCall | undefined;
  mod.PolicyPack = class {
    constructor(name: string, args: PackCall["args"]) {
      call = { name, args };
    }
  };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("../../../policies/index");
  } finally {
    mod.PolicyPack = real;
  }
  if (!call) throw new Error("policies/index did not construct a PolicyPack");
  loaded = call;
  return call;
}
