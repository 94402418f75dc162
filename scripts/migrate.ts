// npm run migrate -- --env <stack> [--down <n>] [--dry-run] [--allow-incompatible] [--json]
// The runbook's `run_migrations.sh` and `rollback_migration.sh --steps n`: the stack's
// `migrations.directory` applied to (or reverted on) its database by node-pg-migrate, every pending
// migration checked for backward compatibility first (components/migrate/compatibility.ts), and a
// verified backup taken before anything changes. A dry run prints the SQL and changes nothing.
import * as path from "path";
import { takeBackup } from "../components/backup/pg-dump";
import { migrationDatabaseUrl } from "../components/migrate/database-url";
import { MigrationRefused, formatPlanSql, runMigrations } from "../components/migrate/migrations";
import { backupsDir } from "../components/targets/local/backups-dir";
import { serviceKey } from "../components/targets/local/names";
import { UsageError, runMain } from "./cli-args";
import { parseMigrateArgs } from "./migrate-args";
import { readStack } from "./stack-info";

// The project root (bin/scripts/ -> ..): the folder migrations.directory is relative to.
const ROOT = path.resolve(__dirname, "..", "..");

async function main(): Promise<number> {
  const req = parseMigrateArgs(process.argv.slice(2));
  const info = readStack(req.stack);
  const config = info.config;
  const db = migrationDatabaseUrl(config);
  if (!db.ok) throw new UsageError(`--env ${req.stack}: stack targets ${config.target}; migrate refused: ${db.reason}`);
  const m = config.migrations;
  const directory = path.resolve(ROOT, m.directory);
  const where = `stack ${req.stack}, schema ${m.schema}, ${m.directory}`;
  let backupId: string | undefined;
  let result;
  try {
    result = await runMigrations(
      { databaseUrl: db.url, directory, schema: m.schema },
      {
        direction: req.down ? "down" : "up",
        steps: req.down,
        dryRun: req.dryRun,
        allowIncompatible: req.allowIncompatible || m.allowIncompatible,
        beforeApply: async () => {
          if (!config.backup.enabled) return;
          const s = await takeBackup(db.url, backupsDir(req.stack, config.service.name), `${serviceKey(req.stack, config.service.name)}-before-migrate`);
          backupId = s.backupId;
          if (!req.json) console.log(`backup ${s.backupId} taken and verified (restore it with npm run db:restore -- --env ${req.stack} --backup ${s.backupId} --yes)`);
        },
      },
    );
  } catch (e) {
    if (e instanceof MigrationRefused) {
      if (req.json) process.stdout.write(`${JSON.stringify({ stack: req.stack, refused: true, incompatible: e.incompatible })}\n`);
      console.error(`error: migrate refused (${where}): ${e.message}`);
      return 1;
    }
    throw e;
  }
  const direction = result.plan.direction;
  if (req.json) {
    process.stdout.write(`${JSON.stringify({ stack: req.stack, direction, dryRun: req.dryRun, planned: result.plan.migrations.map((x) => x.name), ran: result.ran, backupId, allowed: result.allowed })}\n`);
    return 0;
  }
  for (const a of result.allowed) console.error(`warning: allowed, although the running release may not survive it: ${a.file}: "${a.statement}": ${a.reason}`);
  if (req.dryRun) {
    process.stdout.write(formatPlanSql(result.plan));
    console.log(`dry run (${where}): nothing was changed; ${result.plan.migrations.length} migration${result.plan.migrations.length === 1 ? "" : "s"} would ${direction === "up" ? "be applied" : "be reverted"}`);
    return 0;
  }
  if (!result.ran.length) console.log(`${where}: ${direction === "up" ? "no pending migrations" : "nothing reverted"} (applied: ${result.plan.applied.join(", ") || "none"})`);
  else console.log(`${where}: ${direction === "up" ? "applied" : "reverted"} ${result.ran.join(", ")}`);
  return 0;
}

runMain(main);
