// The `maintenance` key: the router answers every user request with 503, a Retry-After header and a
// small page, while health and readiness endpoints and X-Runbook-Color requests still reach the
// colors (so gates keep working). `maintenance: true` is short for `maintenance.enabled: true`.
import { z } from "zod";
import { boolean, configKey, integer } from "./schema-helpers";

/** Characters the page's message may not hold: they would need escaping in nginx and in HTML. */
const UNSAFE = /[$"\\<>&{}\n\r]/;

/** The paths that still reach the colors while the page is up (besides X-Runbook-Color requests). */
export const MAINTENANCE_PASS_PATHS = ["/healthz", "/readyz"] as const;

export const DEFAULT_MAINTENANCE_MESSAGE = "We are upgrading the service and will be back shortly.";

export const maintenanceConfigSchema = z
  .preprocess(
    (v) => (typeof v === "boolean" || v === "true" || v === "false" ? { enabled: v } : v),
    z
      .object({
        enabled: boolean().default(false),
        /** The Retry-After the router sends, in seconds. */
        retryAfterSeconds: integer(1, 86_400, "from 1 to 86400 (seconds)").default(300),
        /** One sentence on the maintenance page. */
        message: z
          .string()
          .min(1, { message: "must not be empty" })
          .max(200, { message: "must be at most 200 characters" })
          .refine((m) => !UNSAFE.test(m), { message: 'must not contain $ " \\ < > & { } or line breaks' })
          .default(DEFAULT_MAINTENANCE_MESSAGE),
      }, { invalid_type_error: "must be true or false, or set its keys enabled, retryAfterSeconds and message" })
      .strict(),
  )
  .default({});

export type MaintenanceConfig = z.infer<typeof maintenanceConfigSchema>;

/** What a router serves while maintenance is on; undefined when it is off. */
export interface MaintenancePage {
  retryAfterSeconds: number;
  message: string;
}

/** The problem of a target that has no maintenance page, when the config asks for one. */
export function maintenanceUnsupported(target: string, m: MaintenanceConfig): string[] {
  return m.enabled ? [`${configKey("maintenance.enabled")}: the ${target} has no maintenance page yet (the local target and kubernetes in gateway-api mode have one); set it to false`] : [];
}

export function maintenancePage(m: MaintenanceConfig): MaintenancePage | undefined {
  return m.enabled ? { retryAfterSeconds: m.retryAfterSeconds, message: m.message } : undefined;
}
