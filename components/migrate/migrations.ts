// A release's database migrations, run by node-pg-migrate (SQL files with an up and a down part,
// a migrations table, one transaction for all pending ones), with this project's rule in front:
// every pending migration is checked for backward compatibility before any is applied, under the
// same advisory lock the tool uses, so nothing can slip in between the check and the apply.
import * as fs from "fs";
import * as path from "path";
import { Client } from "pg";
import { runner } from "node-pg-migrate";
import { getMigrationFilePaths } from "node-pg-migrate/dist/migration";
import { getActions } from "node-pg-migrate/dist/sqlMigration";
import { Incompatibility, checkMigration, describeIncompatible, loadParser } from "./compatibility";

/** The tool's default table name, so its own CLI sees the same history. */
export const MIGRATIONS_TABLE = "pgmigrations";
/** node-pg-migrate's advisory lock id (runner.js PG_MIGRATE_LOCK_ID): we hold it ourselves around check + apply. */
const TOOL_LOCK_ID = "7241865325823964";
/** How long a run waits for another one (a parallel deploy, the tool's CLI) to finish. */
export const LOCK_WAIT_MS = 60_000;

export interface MigrationFile {
  /** The file name without the extension: what the migrations table records. */
  name: string;
  /** The file's absolute path. */
  path: string;
  /** The up SQL (SQL migrations only; JS ones cannot be read here). */
  up?: string;
  down?: string;
}

export interface MigrateTarget {
  databaseUrl: string;
  /** The folder of migration files (absolute). */
  directory: string;
  /** The schema migrations run in (search_path) and whose migrations table they record in. Defaults to public. */
  schema?: string;
  /** Where the tool's progress lines go. Defaults to nowhere. */
  log?: (line: string) => void;
}

export class MigrationRefused extends Error {
  constructor(message: string, readonly incompatible: Incompatibility[] = []) {
    super(message);
    this.name = "MigrationRefused";
  }
}

/** The folder's migrations in the tool's order (numeric prefix, then name), each SQL file split as the tool splits it. */
export async function readMigrationFiles(directory: string): Promise<MigrationFile[]> {
  const files = await getMigrationFilePaths(directory, { logger: silent });
  return files.map((p) => {
    const name = path.basename(p, path.extname(p));
    if (path.extname(p) !== ".sql") return { name, path: p };
    const actions = getActions(fs.readFileSync(p, "utf8"));
    return { name, path: p, up: sqlOf(actions.up), down: actions.down ? sqlOf(actions.down) : undefined };
  });
}

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** The SQL a migration's action passes to `pgm.sql` (what a SQL migration does, and all it does). */
function sqlOf(action: unknown): string {
  const parts: string[] = [];
  (action as (pgm: unknown) => void)({ sql: (s: string) => parts.push(s) });
  return parts.join("\n");
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Names of the applied migrations, oldest first (none when the table does not exist yet). Reads only. */
export async function appliedMigrations(client: Client, schema = "public"): Promise<string[]> {
  const table = `${quoteIdent(schema)}.${quoteIdent(MIGRATIONS_TABLE)}`;
  const exists = await client.query("select to_regclass($1) is not null as present", [table]);
  if (!exists.rows[0].present) return [];
  return (await client.query(`select name from ${table} order by run_on, id`)).rows.map((r) => String(r.name));
}

export interface Plan {
  direction: "up" | "down";
  /** The migrations to run, in the order they run. */
  migrations: MigrationFile[];
  /** Applied before this run, oldest first. */
  applied: string[];
}

/** What `up` runs: every file not applied yet, in order. An applied migration whose file is gone is refused. */
export function planUp(files: MigrationFile[], applied: string[]): Plan {
  const names = new Set(files.map((f) => f.name));
  const missing = applied.filter((a) => !names.has(a));
  if (missing.length) throw new MigrationRefused(`applied migration${missing.length === 1 ? "" : "s"} ${missing.join(", ")} not in the migrations folder (was a file renamed or removed?); nothing was applied`);
  return { direction: "up", migrations: files.filter((f) => !applied.includes(f.name)), applied };
}

/** What `--down n` reverts: the last n applied, newest first; each needs its file and a down part. */
export function planDown(files: MigrationFile[], applied: string[], steps: number): Plan {
  if (steps > applied.length) throw new MigrationRefused(`--down ${steps}: only ${applied.length} migration${applied.length === 1 ? " is" : "s are"} applied${applied.length ? ` (${applied.join(", ")})` : ""}; nothing was reverted`);
  const migrations = applied.slice(-steps).reverse().map((name) => {
    const f = files.find((x) => x.name === name);
    if (!f) throw new MigrationRefused(`migration ${name} is applied but its file is not in the migrations folder; nothing was reverted`);
    if (f.up !== undefined && !f.down?.trim()) throw new MigrationRefused(`migration ${name} has no "-- Down Migration" part; nothing was reverted`);
    return f;
  });
  return { direction: "down", migrations, applied };
}

/** The compatibility problems of a plan's migrations (up only; a JS migration cannot be read, so it is refused). */
export async function checkPlan(plan: Plan, directory: string): Promise<Incompatibility[]> {
  if (plan.direction === "down") return [];
  await loadParser();
  return plan.migrations.flatMap((m) => {
    const file = path.relative(process.cwd(), m.path) || m.path;
    if (m.up === undefined) return [{ file, kind: "not-sql" as const, statement: path.basename(m.path), reason: `only SQL migrations can be checked (${path.relative(directory, m.path)} is not .sql)` }];
    return checkMigration({ name: m.name, file, sql: m.up });
  });
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000, application_name: "runbook-migrate" });
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

async function withLock<T>(client: Client, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  while (!(await client.query("select pg_try_advisory_lock($1::bigint) as got", [TOOL_LOCK_ID])).rows[0].got) {
    if (Date.now() > deadline) throw new Error(`another migration run held the migrations lock for ${LOCK_WAIT_MS / 1000} s; nothing was applied`);
    await new Promise((r) => setTimeout(r, 250));
  }
  try {
    return await fn();
  } finally {
    await client.query("select pg_advisory_unlock($1::bigint)", [TOOL_LOCK_ID]).catch(() => undefined);
  }
}

export interface RunOptions {
  direction: "up" | "down";
  /** For down: how many to revert. */
  steps?: number;
  /** Print the plan's SQL, change nothing (reads the migrations table only, takes no lock). */
  dryRun?: boolean;
  /** Apply statements the compatibility check refuses. Defaults to false. */
  allowIncompatible?: boolean;
  /** Runs once the plan is checked and before anything is applied, when something will be (the deploy's backup). */
  beforeApply?: (plan: Plan) => Promise<void>;
}

export interface RunResult {
  plan: Plan;
  /** The names run (none for a dry run). */
  ran: string[];
  /** Refused statements let through by allowIncompatible or the marker (reported, never silent). */
  allowed: Incompatibility[];
}

/**
 * Plans, checks and (unless a dry run) applies migrations. A refused statement throws
 * MigrationRefused before anything is applied; a failing migration rolls all of this run back (one
 * transaction) and throws naming it.
 */
export async function runMigrations(t: MigrateTarget, o: RunOptions): Promise<RunResult> {
  const schema = t.schema ?? "public";
  const files = await readMigrationFiles(t.directory);
  const client = await connect(t.databaseUrl);
  try {
    const planAndCheck = async () => {
      const applied = await appliedMigrations(client, schema);
      const plan = o.direction === "up" ? planUp(files, applied) : planDown(files, applied, o.steps ?? 1);
      const found = await checkPlan(plan, t.directory);
      if (found.length && !o.allowIncompatible) throw new MigrationRefused(describeIncompatible(found), found);
      return { plan, allowed: found };
    };
    if (o.dryRun) return { ...(await planAndCheck()), ran: [] };
    return await withLock(client, async () => {
      const { plan, allowed } = await planAndCheck();
      if (!plan.migrations.length) return { plan, ran: [], allowed };
      await o.beforeApply?.(plan);
      const log = t.log ?? (() => undefined);
      const logger = { debug: log, info: log, warn: log, error: log };
      let ran: { name: string }[];
      try {
        ran = await runner({
          dbClient: client,
          dir: t.directory,
          migrationsTable: MIGRATIONS_TABLE,
          schema,
          createSchema: schema !== "public",
          direction: o.direction,
          count: plan.migrations.length,
          checkOrder: true,
          singleTransaction: true,
          // We hold the tool's lock on this very connection (the check above ran under it).
          noLock: true,
          logger,
        });
      } catch (e) {
        throw new Error(`${o.direction === "up" ? "migrating" : "reverting"} ${plan.migrations.map((m) => m.name).join(", ")} failed, all of it rolled back (one transaction): ${(e as Error).message.split("\n")[0]}`);
      }
      const names = ran.map((r) => r.name);
      const expected = plan.migrations.map((m) => m.name);
      if (names.join() !== expected.join()) throw new Error(`the migration tool ran ${names.join(", ") || "nothing"}, not the checked ${expected.join(", ")}`);
      return { plan, ran: names, allowed };
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A dry run's listing: each migration's name and the SQL it would run. */
export function formatPlanSql(plan: Plan): string {
  if (!plan.migrations.length) return plan.direction === "up" ? "no pending migrations\n" : "nothing to revert\n";
  return plan.migrations
    .map((m) => {
      const sql = plan.direction === "up" ? m.up : m.down;
      return `-- ${m.name} (${plan.direction})\n${sql === undefined ? `-- (not SQL: ${path.basename(m.path)})` : sql.trim()}\n`;
    })
    .join("\n");
}
