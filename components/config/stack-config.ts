// The stack config schema (namespace `deployment-runbook`), validated with zod before any resource
// is registered, so bad input stops `preview` and `up` with nothing changed. The shared keys are
// here; each registered target adds its own section (`local.*`, `kubernetes.*`, ...) and rules.
import { z } from "zod";
import { defaultGateChecks, GateConfig, gateConfigSchema } from "../gates/gate-config";
import { registeredTargets, targetDefinition, targetNames } from "../targets/registry";
import "../targets/builtin";
import { rolloutConfigSchema } from "../rollout/rollout-config";
import { SECRET_NOTIFY_KEYS, notifyConfigSchema } from "../notify/notify-config";
import { REPLICAS } from "../types";
import { parseConfigValue } from "./config-value";
import { CONFIG_NAMESPACE, boolean, configKey, integer } from "./schema-helpers";
import { maintenanceConfigSchema } from "./maintenance-config";
import { predeployConfigSchema } from "./predeploy-config";
import { migrationsConfigSchema } from "./migrations-config";

export { CONFIG_NAMESPACE, configKey, configuredTraffic, integer, port, boolean } from "./schema-helpers";

const VERSION = /^v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/;
const NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;


const release = z
  .object({
    version: z.string().regex(VERSION, { message: "must be a release version like v1.2.3" }).optional(),
    replicas: integer(REPLICAS.min, REPLICAS.max, `from ${REPLICAS.min} to ${REPLICAS.max}`).default(REPLICAS.default),
    env: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "must be an environment variable name: letters, digits and _, not starting with a digit" }),
        z.union([z.string(), z.number(), z.boolean()], { errorMap: () => ({ message: "must be a string, number or boolean" }) }).transform(String),
      )
      .default({}),
  })
  .strict()
  .default({});

const sharedShape = {
    target: z.string().default("local"),
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
    maintenance: maintenanceConfigSchema,
    predeploy: predeployConfigSchema,
    gates: gateConfigSchema,
    backup: z
      .object({
        enabled: boolean().default(true),
        /** Bump to take a fresh backup for the promotion under way. */
        generation: integer(0, 1_000_000, "from 0 (bump it to take a fresh backup)").default(0),
        /** A promotion step re-takes a backup older than this. */
        refreshAfterMinutes: integer(1, 10_080, "from 1 to 10080 (minutes)").default(50),
      })
      .strict()
      .default({}),
    rollout: rolloutConfigSchema,
    migrations: migrationsConfigSchema,
    notifications: notifyConfigSchema,
};

type SharedConfig = z.infer<z.ZodObject<typeof sharedShape>>;

/** The validated stack config: the shared keys, and each registered target's section by its name. */
export type StackConfig = Omit<SharedConfig, "gates"> & { gates: GateConfig } & { readonly [section: string]: unknown };

/** The whole schema: the shared keys and every registered target's section (built per call: tests register targets). */
export function stackConfigSchema() {
  const names = targetNames();
  const sections = Object.fromEntries(registeredTargets().map((t) => [t.name, t.configSchema]));
  const target = z.enum(names as [string, ...string[]], { errorMap: () => ({ message: `must be one of ${names.join(", ")}` }) }).default("local");
  return z
    .object({ ...sharedShape, target, ...sections })
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
    });
}

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
    setPath(out, key.split("."), parseConfigValue(raw));
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

// Credentials are never echoed, whether or not they were set as secrets (the engine masks only
// those that were, and the rollout commands read the config outside it).
const SECRET_PATHS = new Set<string>(SECRET_NOTIFY_KEYS.map((k) => `notifications.${k}`));

function describeValue(v: unknown, path: (string | number)[]): string {
  if (v === undefined) return "nothing";
  return SECRET_PATHS.has(path.join(".")) ? '"[secret]"' : JSON.stringify(v);
}

function valueAt(obj: unknown, path: (string | number)[]): unknown {
  let node = obj;
  for (const p of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[p];
  }
  return node;
}

/**
 * Validates a nested config object: the schema, then the chosen target's own rules, then whether the
 * target can run the selected gate checks (their default is what it can run). Throws
 * StackConfigError naming every bad key.
 */
export function parseStackConfig(nested: Record<string, unknown>): StackConfig {
  const schema = stackConfigSchema();
  const result = schema.safeParse(nested);
  if (!result.success) throw new StackConfigError(schemaProblems(schema, nested, result.error));
  const parsed = result.data as SharedConfig & Record<string, unknown>;
  const target = targetDefinition(parsed.target);
  const section = parsed[target.name];
  const problems = target.validate?.(section, parsed as StackConfig) ?? [];
  const support = target.gateChecks(section);
  const selected = parsed.gates.checks ?? defaultGateChecks(support.runnable, parsed.gates);
  for (const check of selected) {
    const why = support.unsupported?.[check];
    if (why) problems.push(`${configKey("gates.checks")}: "${check}" cannot run on the ${target.name} target: ${why} (leave ${check} out of gates.checks)`);
    const missing = support.missing[check];
    if (missing) problems.push(`${configKey("gates.checks")}: "${check}" cannot run on the ${target.name} target without ${configKey(missing)} (set it, or leave ${check} out of gates.checks)`);
  }
  if (problems.length) throw new StackConfigError(problems);
  return { ...parsed, gates: { ...parsed.gates, checks: selected } } as StackConfig;
}

function schemaProblems(schema: z.ZodTypeAny, nested: Record<string, unknown>, error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const key = `${CONFIG_NAMESPACE}:${issue.path.join(".")}`;
    if (issue.code === z.ZodIssueCode.unrecognized_keys) {
      const parent = issue.path.length ? `${issue.path.join(".")}.` : "";
      const allowed = allowedKeysAt(schema, issue.path);
      return `${issue.keys.map((k) => `${CONFIG_NAMESPACE}:${parent}${k}`).join(", ")}: unknown key (allowed: ${allowed.join(", ")})`;
    }
    return `${key}: ${issue.message} (got ${describeValue(valueAt(nested, issue.path), issue.path)})`;
  });
}

function allowedKeysAt(root: z.ZodTypeAny, path: (string | number)[]): string[] {
  // Walk the schema's shape to list the keys a user may set at this level.
  let schema = root;
  for (const p of [...path, null]) {
    while (schema instanceof z.ZodEffects || schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) {
      schema = schema instanceof z.ZodEffects ? schema.innerType() : schema._def.innerType;
    }
    if (p === null) break;
    if (schema instanceof z.ZodObject) schema = schema.shape[p as string];
  }
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

