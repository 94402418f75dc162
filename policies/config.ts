// Policy options: each policy declares a JSON schema with defaults, and reads its options here.
import { PolicyConfigSchema } from "@pulumi/policy";

/** The schema's defaults: what a policy sees when its config leaves an option out. */
export function schemaDefaults(schema: PolicyConfigSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(schema.properties)) {
    if (p.default !== undefined) out[k] = p.default;
  }
  return out;
}

/**
 * The policy's options: the engine already fills in the schema's defaults (ReconcilePolicyPackConfig),
 * and the defaults are applied again here so a caller that passes no config (a unit test, an older
 * engine) gets the same behaviour.
 */
export function options<T extends object>(args: { getConfig<C extends object>(): C }, schema: PolicyConfigSchema): T {
  const given = args.getConfig<Record<string, unknown>>() ?? {};
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined && v !== null));
  return { ...schemaDefaults(schema), ...defined } as T;
}

/** Schema of the `now` option every time-dependent policy takes. */
export const NOW_OPTION = {
  type: "string",
  format: "date-time",
  description:
    "ISO-8601 time (with Z or an offset) the policy judges at instead of the real clock, for tests and " +
    "dry runs such as \"what if it were Friday 16:00 in Europe/Berlin\". Defaults to the real time.",
} as const;
