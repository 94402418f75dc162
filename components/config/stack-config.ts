// The stack config schema (namespace `deployment-runbook`), validated with zod before any resource
// is registered, so bad input stops `preview` and `up` with nothing changed.
import { z } from "zod";
import { gateConfigSchema } from "../gates/gate-config";

export const CONFIG_NAMESPACE = "deployment-runbook";
export const TARGETS = ["local", "kubernetes", "aws"] as const;
export type Target = (typeof TARGETS)[number];

const VERSION = /^v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/;
const NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;

/** Accepts numbers and numeric strings (flat keys set without --path arrive as strings). */
function integer(min: number, max: number, what: string) {
  return z.preprocess(
    (v) => (typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : v),
    z
      .number({ invalid_type_error: `must be an integer ${what}` })
      .int({ message: `must be an integer ${what}` })
      .min(min, { message: `must be an integer ${what}` })
      .max(max, { message: `must be an integer ${what}` }),
  );
}

function boolean() {
  return z.preprocess(
    (v) => (v === "true" ? true : v === "false" ? false : v),
    z.boolean({ invalid_type_error: "must be true or false" }),
  );
}

const port = () => integer(1024, 65535, "from 1024 to 65535");

const release = z
  .object({
    version: z.string().regex(VERSION, { message: "must be a release version like v1.2.3" }).optional(),
    replicas: integer(1, 20, "from 1 to 20").default(2),
    env: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "must be an environment variable name: letters, digits and _, not starting with a digit" }),
        z.union([z.string(), z.number(), z.boolean()], { errorMap: () => ({ message: "must be a string, number or boolean" }) }).transform(String),
      )
      .default({}),
  })
  .strict()
  .default({});

const local = z
  .object({
    routerPort: port().default(8080),
    basePort: port().default(18000),
    workMs: integer(0, 10000, "from 0 to 10000 (milliseconds)").default(5),
  })
  .strict()
  .default({});

const kubernetes = z
  .object({
    namespace: z.string().regex(NAME, { message: "must be a DNS label" }).default("default"),
    image: z.string().min(1, { message: "must name a container image" }).optional(),
    mode: z.enum(["gateway-api", "service-selector"]).default("gateway-api"),
    gatewayName: z.string().default("runbook-gateway"),
    gatewayNamespace: z.string().optional(),
    hostname: z.string().optional(),
    snapshotClass: z.string().default("csi-snapclass"),
    databaseClaim: z.string().default("postgres-data"),
    containerPort: port().default(8080),
    gatewayScheme: z.enum(["http", "https"]).default("http"),
    cpuRequestMillicores: integer(10, 64000, "from 10 to 64000 (millicores)").default(100),
    cpuLimitMillicores: integer(10, 64000, "from 10 to 64000 (millicores)").default(500),
    memoryRequestMiB: integer(16, 262144, "from 16 to 262144").default(128),
    memoryLimitMiB: integer(16, 262144, "from 16 to 262144").default(256),
  })
  .strict()
  .default({});

const aws = z
  .object({
    region: z.string().optional(),
    vpcId: z.string().optional(),
    subnetIds: z.array(z.string()).default([]),
    securityGroupIds: z.array(z.string()).default([]),
    // The ALB's own (usually public) subnets and security groups; empty means the tasks' ones.
    loadBalancerSubnetIds: z.array(z.string()).default([]),
    loadBalancerSecurityGroupIds: z.array(z.string()).default([]),
    image: z.string().optional(),
    cpu: integer(256, 16384, "from 256 to 16384 (CPU units)").default(256),
    memoryMiB: integer(512, 122880, "from 512 to 122880").default(512),
    containerPort: port().default(8080),
    listenerPort: integer(1, 65535, "from 1 to 65535").default(80),
    previewListenerPort: integer(1, 65535, "from 1 to 65535").default(9000),
    certificateArn: z.string().optional(),
    stickinessSeconds: integer(0, 604800, "from 0 to 604800 (0 turns stickiness off)").default(0),
    dbInstanceIdentifier: z.string().default("runbook-db"),
  })
  .strict()
  .default({});

export const stackConfigSchema = z
  .object({
    target: z.enum(TARGETS, { errorMap: () => ({ message: `must be one of ${TARGETS.join(", ")}` }) }).default("local"),
    service: z
      .object({
        name: z.string().regex(NAME, { message: "must be 2-32 lowercase letters, digits or dashes" }).default("app"),
      })
      .strict()
      .default({}),
    blue: release,
    green: release,
    traffic: z
      .object({ green: integer(0, 100, "percent from 0 to 100 (no % sign)").default(0) })
      .strict()
      .default({}),
    hotfix: boolean().default(false),
    maintenance: boolean().default(false),
    local,
    kubernetes,
    aws,
    gates: gateConfigSchema,
    backup: z
      .object({
        enabled: boolean().default(true),
        /** Bump to take a fresh snapshot for the promotion under way. */
        generation: integer(0, 1_000_000, "from 0 (bump it to take a fresh snapshot)").default(0),
        /** A promotion step re-takes a snapshot older than this. */
        refreshAfterMinutes: integer(1, 10_080, "from 1 to 10080 (minutes)").default(50),
      })
      .strict()
      .default({}),
    notifications: z
      .object({ webhookUrl: z.string().url({ message: "must be an http(s) URL" }).optional() })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Cross-field rules only judge fields that are valid on their own: one message per mistake.
    const green = c.traffic?.green;
    if (!Number.isInteger(green) || green < 0 || green > 100) return;
    if (!c.blue.version && !c.green.version) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["blue", "version"], message: "is required (at least one color must run a release)" });
      return;
    }
    if (green > 0 && !c.green.version) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["green", "version"], message: `is required when traffic.green is ${green} (above 0)` });
    }
    if (green < 100 && !c.blue.version) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["blue", "version"], message: `is required when traffic.green is ${green} (blue serves the rest)` });
    }
    if (c.target === "local" && c.local.basePort + 200 > 65535) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["local", "basePort"], message: "must leave room for 200 instance ports (at most 65335)" });
    }
  });

export type StackConfig = z.infer<typeof stackConfigSchema>;

export class StackConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid stack config:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "StackConfigError";
  }
}

/**
 * Turns the engine's flat config map (`deployment-runbook:blue.version` or an object-valued
 * `deployment-runbook:blue` set with --path) into one nested object. Keys of other namespaces
 * (aws:region, ...) are ignored.
 */
export function nestConfig(flat: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const prefix = `${CONFIG_NAMESPACE}:`;
  for (const [fullKey, raw] of Object.entries(flat)) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    let value: unknown = raw;
    const trimmed = raw.trim();
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
      try {
        value = JSON.parse(trimmed);
      } catch {
        // leave it a string: the schema will say what it expected
      }
    }
    setPath(out, key.split("."), value);
  }
  return out;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  const last = path[path.length - 1];
  const existing = node[last];
  if (typeof existing === "object" && existing !== null && typeof value === "object" && value !== null) {
    node[last] = { ...(value as object), ...(existing as object) };
  } else {
    node[last] = value;
  }
}

function describeValue(v: unknown): string {
  return v === undefined ? "nothing" : JSON.stringify(v);
}

function valueAt(obj: unknown, path: (string | number)[]): unknown {
  let node = obj;
  for (const p of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[p];
  }
  return node;
}

/** Validates a nested config object; throws StackConfigError naming every bad key. */
export function parseStackConfig(nested: Record<string, unknown>): StackConfig {
  const result = stackConfigSchema.safeParse(nested);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = `${CONFIG_NAMESPACE}:${issue.path.join(".")}`;
    if (issue.code === z.ZodIssueCode.unrecognized_keys) {
      const parent = issue.path.length ? `${issue.path.join(".")}.` : "";
      const allowed = allowedKeysAt(issue.path);
      return `${issue.keys.map((k) => `${CONFIG_NAMESPACE}:${parent}${k}`).join(", ")}: unknown key (allowed: ${allowed.join(", ")})`;
    }
    return `${key}: ${issue.message} (got ${describeValue(valueAt(nested, issue.path))})`;
  });
  throw new StackConfigError(problems);
}

function allowedKeysAt(path: (string | number)[]): string[] {
  // Walk the schema's shape to list the keys a user may set at this level.
  let schema: z.ZodTypeAny = stackConfigSchema;
  for (const p of [...path, null]) {
    while (schema instanceof z.ZodEffects || schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) {
      schema = schema instanceof z.ZodEffects ? schema.innerType() : schema._def.innerType;
    }
    if (p === null) break;
    if (schema instanceof z.ZodObject) schema = schema.shape[p as string];
  }
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/** Weights implied by the config. */
export function configuredWeights(c: StackConfig): { blue: number; green: number } {
  return { blue: 100 - c.traffic.green, green: c.traffic.green };
}
