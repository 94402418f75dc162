// The runbook's connection-pool diagnosis (`psql -c "SELECT * FROM pg_stat_activity;"`), as a
// report: the server's client sessions, grouped by who holds them, and each instance's own pool
// (the sample service's runbook_db_pool_connections gauge) beside them.
import axios from "axios";
import { Client } from "pg";

export interface Session {
  pid: number;
  database: string | null;
  user: string | null;
  application: string;
  client: string | null;
  state: string | null;
  waitEvent: string | null;
  /** Seconds since the current (or last) query started. */
  queryAgeSeconds: number | null;
  query: string;
}

export interface PoolUse {
  instance: string;
  url: string;
  total?: number;
  idle?: number;
  waiting?: number;
  max?: number;
  error?: string;
}

export async function listSessions(databaseUrl: string, timeoutMs = 3000): Promise<Session[]> {
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: timeoutMs, statement_timeout: timeoutMs, application_name: "runbook-db-check" });
  client.on("error", () => undefined);
  try {
    await client.connect();
    const r = await client.query(`
      select pid, datname, usename, application_name, client_addr::text as client, state,
             case when wait_event is null then null else wait_event_type || ':' || wait_event end as wait,
             extract(epoch from now() - query_start)::float8 as age, left(regexp_replace(query, '\\s+', ' ', 'g'), 80) as query
        from pg_stat_activity
       where backend_type = 'client backend' and pid <> pg_backend_pid()
       order by application_name, pid`);
    return r.rows.map((x) => ({
      pid: x.pid, database: x.datname, user: x.usename, application: x.application_name || "(none)", client: x.client,
      state: x.state, waitEvent: x.wait, queryAgeSeconds: x.age === null ? null : Math.round(x.age * 10) / 10, query: x.query ?? "",
    }));
  } catch (e) {
    const where = new URL(databaseUrl);
    throw new Error(`PostgreSQL at ${where.hostname}:${where.port || 5432}/${where.pathname.slice(1)}: ${(e as Error).message.replace(where.password, "***")}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The pool gauge's values from a /metrics text; undefined when the instance exports none. */
export function parsePoolGauge(metrics: string): Omit<PoolUse, "instance" | "url"> | undefined {
  const out: Record<string, number> = {};
  for (const m of metrics.matchAll(/^runbook_db_pool_connections\{state="(total|idle|waiting|max)"\} (\S+)$/gm)) out[m[1]] = Number(m[2]);
  return Object.keys(out).length ? out : undefined;
}

/** Each instance's pool, read from its /metrics; an unreachable instance says so instead. */
export async function poolUse(instances: { instance: string; url: string }[]): Promise<PoolUse[]> {
  return Promise.all(
    instances.map(async (i) => {
      try {
        const res = await axios.get<string>(`${i.url}/metrics`, { timeout: 3000, responseType: "text" });
        return { ...i, ...(parsePoolGauge(res.data) ?? { error: "exports no runbook_db_pool_connections (no database configured?)" }) };
      } catch (e) {
        return { ...i, error: (e as Error).message };
      }
    }),
  );
}

/** The report: sessions grouped by application and state, then every session, then the pools. */
export function formatSessions(sessions: Session[], pools: PoolUse[], maxConnections?: number): string {
  const lines: string[] = [];
  const groups = new Map<string, number>();
  for (const s of sessions) groups.set(`${s.application}\t${s.state ?? "?"}`, (groups.get(`${s.application}\t${s.state ?? "?"}`) ?? 0) + 1);
  lines.push(`${sessions.length} client session(s)${maxConnections ? ` of max_connections ${maxConnections}` : ""}, by application and state:`);
  for (const [k, n] of [...groups].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
    const [app, state] = k.split("\t");
    lines.push(`  ${String(n).padStart(4)}  ${app}  ${state}`);
  }
  lines.push("", "pid      application                          database         state                 query age  query");
  for (const s of sessions) {
    const age = s.queryAgeSeconds === null ? "-" : `${s.queryAgeSeconds}s`;
    lines.push(`${String(s.pid).padEnd(8)} ${s.application.padEnd(36)} ${(s.database ?? "-").padEnd(16)} ${`${s.state ?? "-"}${s.waitEvent ? ` (${s.waitEvent})` : ""}`.padEnd(21)} ${age.padStart(9)}  ${s.query}`);
  }
  if (pools.length) {
    lines.push("", "each instance's pool (open / idle / waiting clients, of max):");
    for (const p of pools) {
      lines.push(p.error ? `  ${p.instance}: ${p.error}` : `  ${p.instance}: ${p.total} open / ${p.idle} idle / ${p.waiting} waiting, max ${p.max}${(p.waiting ?? 0) > 0 ? "  <- requests are waiting for a connection" : ""}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
