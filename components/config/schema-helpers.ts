// The pieces every section of the stack config is built from (shared and per-target alike): the
// namespace, how messages name a key, and zod types that accept what `pulumi config set` stores.
import { z } from "zod";
import type { Traffic } from "../types";

export const CONFIG_NAMESPACE = "deployment-runbook";

/** `deployment-runbook:<key>`, how every message names a key. */
export function configKey(key: string): string {
  return `${CONFIG_NAMESPACE}:${key}`;
}

/** Accepts numbers and numeric strings (flat keys set without --path arrive as strings). */
export function integer(min: number, max: number, what: string) {
  return z.preprocess(
    (v) => (typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : v),
    z
      .number({ invalid_type_error: `must be an integer ${what}` })
      .int({ message: `must be an integer ${what}` })
      .min(min, { message: `must be an integer ${what}` })
      .max(max, { message: `must be an integer ${what}` }),
  );
}

export function boolean() {
  return z.preprocess(
    (v) => (v === "true" ? true : v === "false" ? false : v),
    z.boolean({ invalid_type_error: "must be true or false" }),
  );
}

export const port = () => integer(1024, 65535, "from 1024 to 65535");

/** Traffic implied by the config. */
export function configuredTraffic(c: { traffic: { green: number } }): Traffic {
  return { blue: 100 - c.traffic.green, green: c.traffic.green };
}
