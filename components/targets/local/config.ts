// The local target's section of the stack config (`local.*`).
import { z } from "zod";
import { integer, port } from "../../config/schema-helpers";

/** Ports each color may use above `basePort`: blue from basePort, green from basePort + 100. */
export const PORTS_PER_SERVICE = 200;

export const localConfigSchema = z
  .object({
    routerPort: port().default(8080),
    basePort: port().default(18000),
    workMs: integer(0, 10000, "from 0 to 10000 (milliseconds)").default(5),
  })
  .strict()
  .default({});

export type LocalConfig = z.infer<typeof localConfigSchema>;

/** Rules across the section's keys; each names its key. */
export function localConfigProblems(c: LocalConfig): string[] {
  const max = 65535 - PORTS_PER_SERVICE;
  return c.basePort > max ? [`deployment-runbook:local.basePort: must leave room for ${PORTS_PER_SERVICE} instance ports (at most ${max})`] : [];
}
