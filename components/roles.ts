// The roles a blue/green service's resources play, marked on the resources themselves so the policy
// pack can find them in what was registered. The program marks, the pack reads: both import this
// module, so the names exist once. Plain data, no Pulumi import: the pack loads it in its own process.

/** What a resource is to the runbook's flow. */
export const ROLES = {
  /** One color's instances (processes, pods, tasks). */
  environment: "environment",
  /** Makes every color reachable by the color header, before any traffic moves. */
  routerBackends: "router-backends",
  /** Carries the blue/green traffic split: must wait for the backup, the gates and the record. */
  routerTraffic: "router-traffic",
  /** A health gate of one color. */
  healthGate: "health-gate",
  /** The backup taken before a promotion. */
  backup: "backup",
  /** The deployment record the policies judge. */
  record: "deployment-record",
  /** What users get while maintenance is on, where the router cannot answer by itself (kubernetes). */
  maintenancePage: "maintenance-page",
} as const;

export type Role = (typeof ROLES)[keyof typeof ROLES];
const ROLE_VALUES = new Set<string>(Object.values(ROLES));

export function isRole(v: unknown): v is Role {
  return typeof v === "string" && ROLE_VALUES.has(v);
}

/** The property of a dynamic resource that holds its role. */
export const ROLE_PROPERTY = "runbook";
/** The Kubernetes label that holds a resource's role (a prefixed key, so it never clashes). */
export const ROLE_LABEL = "deployment-runbook/role";
/** The AWS tag that holds a resource's role. */
export const ROLE_TAG = "deployment-runbook:role";
/** Type token of every Node.js dynamic resource (the record, the gates, the local target). */
export const DYNAMIC_TYPE = "pulumi-nodejs:dynamic:Resource";
