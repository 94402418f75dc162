// Database migrations against the real local PostgreSQL, with the real engine for the deploy:
// `npm run migrate` refuses an incompatible migration before anything changes, applies a compatible
// one, `--down 1` restores the schema; `npm run deploy` runs them after its backup and before the
// first step, and a refused one fails the deploy with traffic unchanged. Every migration here runs
// in a schema of its own (migrations.schema): all local stacks share the `runbook` database and
// other tests use its `items` table at the same time.
import { strict as assert } from "assert";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Client } from "pg";
import { rolloutFiles } from "../../components/rollout/files";
import * as paths from "../../components/targets/local/paths";
import { smallLocalStack, ThrowawayStack } from "./harness";
import { POLICY_ENV } from "./policy-clock";

const ROUTER_PORT = 19800;
const BASE_PORT = 25800;

async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: paths.postgresAdminUrl(), connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

describe("migrations: npm run migrate and the deploy's migration step (real PostgreSQL, local target)", function () {
  this.timeout(600_000);
  const schema = `test_mig_${randomBytes(3).toString("hex")}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "runbook-migrations-"));
  let stack: ThrowawayStack;
  const write = (name: string, sql: string) => fs.writeFileSync(path.join(dir, name), sql);
  const remove = (name: string) => fs.rmSync(path.join(dir, name), { force: true });
  const migrate = (...args: string[]) => stack.node("run-built.js", ["migrate", "--env", stack.name, ...args]);
  /** The schema as information_schema shows it: every column of every table, in order. */
  const columns = () => query<Record<string, string>>("select table_name, column_name, data_type, is_nullable from information_schema.columns where table_schema = $1 and table_name <> 'pgmigrations' order by table_name, ordinal_position", [schema]);
  const applied = async () => ((await query<{ t: string | null }>("select to_regclass($1) as t", [`${schema}.pgmigrations`]))[0].t ? (await query<{ name: string }>(`select name from ${schema}.pgmigrations order by id`)).map((r) => r.name) : []);

  before(async () => {
    write("001_widgets.sql", "-- Up Migration\ncreate table widgets (id serial primary key, name text not null);\n-- Down Migration\ndrop table widgets;\n");
    stack = await ThrowawayStack.create("migrations", {
      ...smallLocalStack(ROUTER_PORT, BASE_PORT),
      "migrations.directory": dir,
      "migrations.schema": schema,
      // The command's own backup is the deploy test's; here it would only dump the shared database again.
      "backup.enabled": false,
      "rollout.pause": "2s",
      "rollout.bake": "2s",
      "rollout.analysis.intervalSeconds": 1,
      "rollout.analysis.windowSeconds": 3,
      "rollout.analysis.minRequests": 20,
      "rollout.analysis.floorRps": 10,
    });
  });

  after(async () => {
    await query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    if (stack) {
      await stack.cleanup();
      fs.rmSync(rolloutFiles(stack.name).dir, { recursive: true, force: true });
    }
  });

  it("bad input is refused naming the flag and the allowed values (exit 2), and changes nothing", async () => {
    for (const [args, message] of [
      [["--steps", "1"], /Unknown option '--steps' \(allowed flags: --env, --down, --dry-run, --allow-incompatible, --json\)/],
      [["--down", "0"], /--down "0" is not allowed \(allowed: a positive integer/],
      [["--down", "x"], /--down "x" is not allowed/],
    ] as [string[], RegExp][]) {
      const r = await migrate(...args);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, message);
    }
    const unknown = await stack.node("run-built.js", ["migrate", "--env", "test-no-such-stack"]);
    assert.equal(unknown.code, 2, unknown.stdout + unknown.stderr);
    assert.match(unknown.stderr, /--env "test-no-such-stack": no such stack/);
    assert.deepEqual(await columns(), []);
    assert.deepEqual((await query<{ n: string }>("select count(*) as n from information_schema.schemata where schema_name = $1", [schema]))[0].n, "0");
  });

  it("--dry-run prints the SQL and changes nothing; then the compatible migration applies", async () => {
    const dry = await migrate("--dry-run");
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    assert.match(dry.stdout, /-- 001_widgets \(up\)\n-- Up Migration\ncreate table widgets \(id serial primary key, name text not null\);/);
    assert.match(dry.stdout, /dry run \(.*\): nothing was changed; 1 migration would be applied/);
    assert.deepEqual(await columns(), []);
    const up = await migrate();
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.match(up.stdout, /applied 001_widgets/);
    assert.deepEqual((await columns()).map((c) => c.column_name), ["id", "name"]);
    assert.deepEqual(await applied(), ["001_widgets"]);
  });

  it("a pending incompatible migration is refused before anything changes, even the compatible one before it", async () => {
    write("002_note.sql", "-- Up Migration\nalter table widgets add column note text;\n-- Down Migration\nalter table widgets drop column note;\n");
    write("003_drop_name.sql", "-- Up Migration\nalter table widgets drop column name;\n-- Down Migration\nalter table widgets add column name text;\n");
    const before = await columns();
    try {
      const r = await migrate();
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /migrate refused/);
      assert.match(r.stderr, /003_drop_name\.sql: "alter table widgets drop column name": drops column widgets\.name: the running release may still read or write it/);
      assert.match(r.stderr, /--allow-incompatible/);
      assert.match(r.stderr, /runbook:allow-incompatible/);
      assert.deepEqual(await columns(), before, "the schema is unchanged");
      assert.deepEqual(await applied(), ["001_widgets"], "the migrations table is unchanged");
    } finally {
      remove("003_drop_name.sql");
    }
  });

  it("--down 1 reverts the last migration and restores the schema", async () => {
    const before = await columns();
    const up = await migrate();
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.match(up.stdout, /applied 002_note/);
    assert.deepEqual((await columns()).map((c) => c.column_name), ["id", "name", "note"]);
    const down = await migrate("--down", "1");
    assert.equal(down.code, 0, down.stdout + down.stderr);
    assert.match(down.stdout, /reverted 002_note/);
    assert.deepEqual(await columns(), before);
    assert.deepEqual(await applied(), ["001_widgets"]);
    remove("002_note.sql");
  });

  it("npm run deploy: a refused migration fails it with traffic unchanged; a compatible one runs after the backup and before the first step", async () => {
    const up = await stack.apply(POLICY_ENV);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    await stack.setConfig("backup.enabled", true);
    write("002_rename.sql", "-- Up Migration\nalter table widgets rename column name to title;\n-- Down Migration\nalter table widgets rename column title to name;\n");
    const before = await columns();
    const refused = await stack.node("run-built.js", ["deploy", "--env", stack.name, "--version", "v2.0.0", "--steps", "10,50,100", "--yes"], POLICY_ENV);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /migrations \(.*\) stopped the deploy before any traffic moved: 1 statement the running release cannot survive \(nothing was applied\):\n\s+- .*002_rename\.sql: "alter table widgets rename column name to title": renames column widgets\.name to title/);
    assert.deepEqual((await stack.outputs()).traffic, { blue: 100, green: 0 });
    assert.deepEqual(await columns(), before);
    assert.deepEqual(await applied(), ["001_widgets"]);

    remove("002_rename.sql");
    write("002_title.sql", "-- Up Migration\nalter table widgets add column title text;\n-- Down Migration\nalter table widgets drop column title;\n");
    const r = await stack.node("run-built.js", ["deploy", "--env", stack.name, "--version", "v2.0.0", "--steps", "10,50,100", "--yes"], POLICY_ENV);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const lines = r.stdout.split("\n");
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const order = [at(/ started: v2\.0\.0 to green/), at(/^migrations: backup \S+ taken and verified before applying 002_title$/), at(/^migrations: applied 002_title /), at(/ step 1\/3 applied: blue 90% \/ green 10%/)];
    assert.ok(order.every((i) => i >= 0) && order.every((i, k) => k === 0 || i > order[k - 1]), `started, backup, migrations, first step, in this order:\n${r.stdout}`);
    assert.deepEqual(await applied(), ["001_widgets", "002_title"]);
    assert.deepEqual((await columns()).map((c) => c.column_name), ["id", "name", "title"]);
    assert.deepEqual((await stack.outputs()).traffic, { blue: 0, green: 100 });
  });
});
