// Where a stack's migrations connect: the database the local target runs, or the one a
// kubernetes/aws stack names for its gate's database check (reachable from this machine).
import type { StackConfig } from "../config/stack-config";
import { configKey } from "../config/schema-helpers";
import * as paths from "../targets/local/paths";

export type DatabaseUrl = { ok: true; url: string } | { ok: false; reason: string };

export function migrationDatabaseUrl(config: StackConfig): DatabaseUrl {
  if (config.target === "local") return { ok: true, url: paths.postgresAdminUrl() };
  const section = config[config.target] as { databaseUrl?: string } | undefined;
  if (section?.databaseUrl) return { ok: true, url: section.databaseUrl };
  return { ok: false, reason: `the ${config.target} target has no database URL for migrations (set ${configKey(`${config.target}.databaseUrl`)}, as a secret, to where this machine reaches the database)` };
}
