// The runbook's database scripts for the local target:
//   npm run db:check   -- --env <stack> [--sessions]         (test_db_connection.py; with --sessions,
//                                                             pg_stat_activity and each instance's pool)
//   npm run db:backup  -- --env <stack>                      (backup_db.sh)
//   npm run db:restore -- --env <stack> --backup latest|<id> --yes   (restore_db.sh)
import { inspectDatabase } from "../components/gates/checks/database-check";
import { backupsDir } from "../components/targets/local/backups-dir";
import { listBackups, restoreBackup, takeBackup } from "../components/backup/pg-dump";
import * as paths from "../components/targets/local/paths";
import { instancePort, instanceProgram, serviceKey } from "../components/targets/local/names";
import { formatSessions, listSessions, poolUse } from "../components/troubleshoot/db-sessions";
import { COLORS } from "../components/types";
import { UsageError, parseFlags, runMain } from "./cli-args";
import { readStack } from "./stack-info";

const COMMANDS = ["check", "backup", "restore"] as const;

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  if (!COMMANDS.includes(command as (typeof COMMANDS)[number])) throw new UsageError(`unknown db command ${JSON.stringify(command)} (allowed: ${COMMANDS.join(", ")})`);
  const usage = `npm run db:${command} -- --env <stack>${command === "restore" ? " --backup latest|<id> --yes" : command === "check" ? " [--sessions]" : ""}`;
  const flags = parseFlags(
    rest,
    {
      env: { type: "string", description: "stack" },
      ...(command === "restore" ? { backup: { type: "string" as const, description: "backup" }, yes: { type: "boolean" as const, description: "confirm" } } : {}),
      ...(command === "check" ? { sessions: { type: "boolean" as const, description: "list sessions and pools" } } : {}),
    },
    usage,
  ) as { env?: string; backup?: string; yes?: boolean; sessions?: boolean };
  if (!flags.env) throw new UsageError(`--env is required\nusage: ${usage}`);
  const stack = readStack(flags.env);
  if (stack.config.target !== "local") throw new UsageError(`--env ${flags.env}: stack targets ${stack.config.target}; db commands run against the local target only`);
  const url = paths.postgresAdminUrl();
  const dir = backupsDir(flags.env, stack.config.service.name);

  if (command === "check") {
    const r = await inspectDatabase(url);
    console.log(`✓ connected in ${r.connectMs} ms`);
    console.log(`✓ server version ${r.serverVersion}`);
    console.log(`${r.saturationPercent <= stack.config.gates.database.maxPoolSaturationPercent ? "✓" : "✗"} connections ${r.activeConnections}/${r.maxConnections} (${r.saturationPercent.toFixed(1)}% of the limit)`);
    if (flags.sessions) {
      const service = stack.config.service.name;
      const basePort = (stack.config.local as { basePort: number }).basePort;
      const instances = COLORS.filter((c) => stack.config[c].version).flatMap((c) =>
        Array.from({ length: stack.config[c].replicas }, (_, i) => ({ instance: instanceProgram(flags.env!, service, c, i), url: `http://127.0.0.1:${instancePort(basePort, c, i)}` })),
      );
      const [sessions, pools] = await Promise.all([listSessions(url), poolUse(instances)]);
      console.log("");
      process.stdout.write(formatSessions(sessions, pools, r.maxConnections));
    }
    return r.saturationPercent <= stack.config.gates.database.maxPoolSaturationPercent ? 0 : 1;
  }
  if (command === "backup") {
    const s = await takeBackup(url, dir, `${serviceKey(flags.env, stack.config.service.name)}-manual`);
    console.log(`backup ${s.backupId}: ${s.sizeBytes} bytes, sha256 ${s.sha256.slice(0, 16)}…, ${s.durationMs} ms, verified by restore (${Object.entries(s.tables).map(([t, n]) => `${t} ${n} rows`).join(", ") || "no tables"})`);
    return 0;
  }
  // restore
  if (!flags.backup) throw new UsageError(`--backup is required (latest or a backup id)\nusage: ${usage}`);
  const backups = listBackups(dir).filter((s) => s.verified);
  const chosen = flags.backup === "latest" ? backups[0] : backups.find((s) => s.backupId === flags.backup);
  if (!chosen) {
    throw new UsageError(`--backup ${JSON.stringify(flags.backup)}: no verified backup by that id in ${dir} (allowed: latest, ${backups.slice(0, 5).map((s) => s.backupId).join(", ") || "none taken yet"})`);
  }
  if (!flags.yes) {
    console.log(`would restore ${chosen.backupId} (taken ${chosen.takenAt}) over the database of stack ${flags.env}, after a safety backup.`);
    console.log("nothing was changed: add --yes to restore.");
    return 1;
  }
  const safety = await takeBackup(url, dir, `${serviceKey(flags.env, stack.config.service.name)}-before-restore`);
  console.log(`safety backup ${safety.backupId} taken (restore it with --backup ${safety.backupId} --yes)`);
  const r = await restoreBackup(url, chosen);
  console.log(`restored ${chosen.backupId}; verified row counts: ${Object.entries(r.tables).map(([t, n]) => `${t} ${n}`).join(", ") || "no tables"}`);
  return 0;
}

runMain(main);
