// database: PostgreSQL accepts a connection, answers `select 1`, and its connection pool has room
// (pg_stat_activity against max_connections). Also the runbook's test_db_connection script.
import { Client } from "pg";
import { CheckResult, GateSubject, fail, pass } from "./types";

export interface DatabaseReport {
  connectMs: number;
  serverVersion: string;
  activeConnections: number;
  maxConnections: number;
  saturationPercent: number;
}

/** Connects, measures and disconnects; throws with a message that never contains the password. */
export async function inspectDatabase(databaseUrl: string, timeoutMs = 3000): Promise<DatabaseReport> {
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: timeoutMs, statement_timeout: timeoutMs });
  client.on("error", () => undefined);
  const started = Date.now();
  try {
    await client.connect();
    const connectMs = Date.now() - started;
    await client.query("select 1");
    const v = await client.query("show server_version");
    const a = await client.query("select count(*)::int as n from pg_stat_activity");
    const m = await client.query("show max_connections");
    const active = a.rows[0].n as number;
    const max = Number(m.rows[0].max_connections);
    return { connectMs, serverVersion: v.rows[0].server_version, activeConnections: active, maxConnections: max, saturationPercent: (active / max) * 100 };
  } catch (e) {
    const where = new URL(databaseUrl);
    throw new Error(`PostgreSQL at ${where.hostname}:${where.port || 5432}/${where.pathname.slice(1)}: ${(e as Error).message.replace(where.password, "***")}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function databaseCheck(s: GateSubject): Promise<CheckResult> {
  if (!s.databaseUrl) return fail("database", "no database configured for this stack");
  try {
    const r = await inspectDatabase(s.databaseUrl);
    const max = s.config.database.maxPoolSaturationPercent;
    const details = [`server ${r.serverVersion}, connect ${r.connectMs} ms`, `connections ${r.activeConnections}/${r.maxConnections}`];
    if (r.saturationPercent > max) {
      return fail("database", `connection pool ${r.saturationPercent.toFixed(1)}% used > ${max}% allowed (${r.activeConnections}/${r.maxConnections})`, details);
    }
    return pass("database", `select 1 ok in ${r.connectMs} ms; pool ${r.saturationPercent.toFixed(1)}% used (<= ${max}%)`, details);
  } catch (e) {
    return fail("database", (e as Error).message);
  }
}
