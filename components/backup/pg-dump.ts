// PostgreSQL backups: pg_dump in custom format, verified by restoring into a scratch database and
// comparing every table's row count. Taken from the program's side (the local target, and the
// kubernetes target in pg-dump mode) and by the db:backup / db:restore commands. Passwords go to the tools through PGPASSWORD, never argv.
import { execFile } from "child_process";
import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import { Client } from "pg";

const run = promisify(execFile);

export interface BackupInfo {
  backupId: string;
  file: string;
  takenAt: string;
  durationMs: number;
  sizeBytes: number;
  sha256: string;
  verified: boolean;
  /** Row count of every table, as dumped. */
  tables: Record<string, number>;
}

interface Conn {
  host: string;
  port: string;
  user: string;
  password: string;
  database: string;
}

function parse(url: string): Conn {
  const u = new URL(url);
  return { host: u.hostname, port: u.port || "5432", user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: u.pathname.slice(1) };
}

const withDb = (url: string, database: string) => {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
};

function toolEnv(c: Conn): NodeJS.ProcessEnv {
  return { ...process.env, PGPASSWORD: c.password, PGCONNECT_TIMEOUT: "5" };
}

function connArgs(c: Conn, database = c.database): string[] {
  return ["-h", c.host, "-p", c.port, "-U", c.user, "-d", database];
}

async function sql<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Exact row count of every user table. */
export async function rowCounts(url: string): Promise<Record<string, number>> {
  return sql(url, async (c) => {
    const tables = await c.query(
      "select quote_ident(schemaname) || '.' || quote_ident(tablename) as t from pg_tables where schemaname not in ('pg_catalog','information_schema') order by 1",
    );
    const out: Record<string, number> = {};
    for (const { t } of tables.rows) out[t] = Number((await c.query(`select count(*)::bigint as n from ${t}`)).rows[0].n);
    return out;
  });
}

function describeError(e: unknown, c: Conn): Error {
  const err = e as { stderr?: string; message: string };
  return new Error(String(err.stderr || err.message).split(c.password).join("***").trim());
}

/** Restores `file` into a new scratch database and compares row counts with `expected`. */
export async function verifyBackup(url: string, file: string, expected: Record<string, number>): Promise<{ verified: boolean; problems: string[] }> {
  const c = parse(url);
  const scratch = `runbook_verify_${randomBytes(4).toString("hex")}`;
  await sql(url, (cl) => cl.query(`create database ${scratch}`));
  try {
    try {
      await run("pg_restore", [...connArgs(c, scratch), "--no-owner", "--exit-on-error", file], { env: toolEnv(c) });
    } catch (e) {
      return { verified: false, problems: [`pg_restore failed: ${describeError(e, c).message}`] };
    }
    const restored = await rowCounts(withDb(url, scratch));
    const problems = Object.keys({ ...expected, ...restored })
      .filter((t) => expected[t] !== restored[t])
      .map((t) => `table ${t}: ${expected[t] ?? "missing"} rows dumped, ${restored[t] ?? "missing"} restored`);
    return { verified: problems.length === 0, problems };
  } finally {
    await sql(url, (cl) => cl.query(`drop database if exists ${scratch} with (force)`)).catch(() => undefined);
  }
}

/**
 * True for an error that means the server ended our session on purpose, not that it is gone: a
 * restore of the same database elsewhere terminates its sessions and swaps it in by rename
 * (restoreBackup), and a fast shutdown and restart look the same. The database is there again
 * moments later.
 */
export function sessionEnded(e: unknown): boolean {
  const err = e as { code?: string; message?: string; stderr?: string };
  if (err?.code === "57P01" || err?.code === "3D000") return true;
  return /terminating connection due to administrator command|database "[^"]+" does not exist/.test(`${err?.message ?? ""}\n${err?.stderr ?? ""}`);
}

/** Runs `fn`, and once more after a short wait when its session was ended on purpose (sessionEnded). */
export async function retryOnceIfSessionEnded<T>(fn: () => Promise<T>, waitMs = 500): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!sessionEnded(e)) throw e;
    await new Promise((r) => setTimeout(r, waitMs));
    return fn();
  }
}

/** Takes and verifies a backup into `directory`. Throws (naming the database) when it cannot. */
export async function takeBackup(url: string, directory: string, label: string): Promise<BackupInfo> {
  const c = parse(url);
  fs.mkdirSync(directory, { recursive: true });
  const started = Date.now();
  const takenAt = new Date().toISOString();
  const backupId = `${label}-${takenAt.replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}-${randomBytes(2).toString("hex")}`;
  const file = path.join(directory, `${backupId}.dump`);
  // Counts first, in the same moment as the dump: a busy database may change in between, which the
  // verification would then report rather than hide.
  let tables: Record<string, number>;
  try {
    tables = await retryOnceIfSessionEnded(async () => {
      const counts = await rowCounts(url);
      await run("pg_dump", [...connArgs(c), "--format=custom", "--no-owner", "--file", file], { env: toolEnv(c) });
      return counts;
    });
  } catch (e) {
    fs.rmSync(file, { force: true });
    throw new Error(`backup of PostgreSQL database ${c.database} at ${c.host}:${c.port} failed: ${describeError(e, c).message}`);
  }
  const data = fs.readFileSync(file);
  const check = await verifyBackup(url, file, tables);
  const info: BackupInfo = {
    backupId,
    file,
    takenAt,
    durationMs: Date.now() - started,
    sizeBytes: data.length,
    sha256: createHash("sha256").update(data).digest("hex"),
    verified: check.verified,
    tables,
  };
  fs.writeFileSync(`${file}.json`, JSON.stringify({ ...info, problems: check.problems }, null, 2));
  if (!check.verified) throw new Error(`backup ${backupId} of ${c.database} did not verify: ${check.problems.join("; ")}`);
  return info;
}

/** Backups in `directory`, newest first. */
export function listBackups(directory: string): (BackupInfo & { problems?: string[] })[] {
  if (!fs.existsSync(directory)) return [];
  return fs
    .readdirSync(directory)
    .filter((f) => f.endsWith(".dump.json"))
    .map((f) => JSON.parse(fs.readFileSync(path.join(directory, f), "utf8")))
    .sort((a, b) => (a.takenAt < b.takenAt ? 1 : -1));
}

/**
 * Restores `file` over the database: into a fresh database first, verified, then swapped in by
 * rename, so a failed restore leaves the current database as it was.
 */
export async function restoreBackup(url: string, backup: BackupInfo): Promise<{ tables: Record<string, number> }> {
  const c = parse(url);
  const data = fs.readFileSync(backup.file);
  const sum = createHash("sha256").update(data).digest("hex");
  if (sum !== backup.sha256) throw new Error(`backup ${backup.backupId} is corrupt: checksum ${sum} != ${backup.sha256}`);
  const incoming = `${c.database}_restore_${randomBytes(3).toString("hex")}`;
  const admin = withDb(url, "postgres");
  await sql(admin, (cl) => cl.query(`create database ${incoming}`));
  try {
    await run("pg_restore", [...connArgs(c, incoming), "--no-owner", "--exit-on-error", backup.file], { env: toolEnv(c) });
    const restored = await rowCounts(withDb(url, incoming));
    const problems = Object.keys({ ...backup.tables, ...restored }).filter((t) => backup.tables[t] !== restored[t]);
    if (problems.length) throw new Error(`restored row counts differ from the backup for ${problems.join(", ")}`);
    const old = `${c.database}_replaced_${randomBytes(3).toString("hex")}`;
    await sql(admin, async (cl) => {
      await cl.query(`alter database ${c.database} rename to ${old}`).catch(async () => {
        // Sessions still hold the database: end them, then rename.
        await cl.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()", [c.database]);
        await cl.query(`alter database ${c.database} rename to ${old}`);
      });
      await cl.query(`alter database ${incoming} rename to ${c.database}`);
      await cl.query(`drop database ${old} with (force)`);
    });
    return { tables: restored };
  } catch (e) {
    await sql(admin, (cl) => cl.query(`drop database if exists ${incoming} with (force)`)).catch(() => undefined);
    throw describeError(e, c);
  }
}
