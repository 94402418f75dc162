// The deploy's migration step: once the new release runs on the idle color (no traffic yet), the
// stack's pending migrations are checked for backward compatibility, a verified backup is taken,
// and they are applied, all before the first step moves traffic. A refused or failed migration
// throws, so the rollout fails with traffic where it was.
import * as path from "path";
import { takeBackup } from "../components/backup/pg-dump";
import type { StackConfig } from "../components/config/stack-config";
import { migrationDatabaseUrl } from "../components/migrate/database-url";
import { runMigrations } from "../components/migrate/migrations";
import { backupsDir } from "../components/targets/local/backups-dir";
import { serviceKey } from "../components/targets/local/names";
import { ROOT } from "./automation";

/**
 * Runs the stack's pending migrations for a deploy. `note` gets the lines a person reads (what was
 * applied, the backup); `log` the tool's progress (the engine log).
 */
export async function migrateForDeploy(stack: string, config: StackConfig, note: (line: string) => void, log: (line: string) => void): Promise<string[]> {
  const m = config.migrations;
  if (!m.enabled) return [];
  const db = migrationDatabaseUrl(config);
  if (!db.ok) {
    // A stack that never said where its database is has not asked for migrations: said, not failed.
    note(`migrations: not run: ${db.reason}`);
    return [];
  }
  const where = `${m.directory}, schema ${m.schema}`;
  let result;
  try {
    result = await runMigrations(
      { databaseUrl: db.url, directory: path.resolve(ROOT, m.directory), schema: m.schema, log },
      {
        direction: "up",
        allowIncompatible: m.allowIncompatible,
        beforeApply: async (plan) => {
          if (!config.backup.enabled) return;
          const s = await takeBackup(db.url, backupsDir(stack, config.service.name), `${serviceKey(stack, config.service.name)}-before-migrate`);
          note(`migrations: backup ${s.backupId} taken and verified before applying ${plan.migrations.map((x) => x.name).join(", ")}`);
        },
      },
    );
  } catch (e) {
    throw new Error(`migrations (${where}) stopped the deploy before any traffic moved: ${(e as Error).message}`);
  }
  for (const a of result.allowed) note(`migrations: warning: allowed by migrations.allowIncompatible or its marker: ${a.file}: "${a.statement}": ${a.reason}`);
  note(result.ran.length ? `migrations: applied ${result.ran.join(", ")} (${where})` : `migrations: none pending (${where}; applied: ${result.plan.applied.join(", ") || "none"})`);
  return result.ran;
}
