// `npm run migrate`'s parts that need no database: its flags, the migrations folder as the tool
// reads it, what up and --down n would run, the dry run's listing and the config keys.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { StackConfigError, parseStackConfig } from "../../components/config/stack-config";
import { migrationDatabaseUrl } from "../../components/migrate/database-url";
import { MigrationRefused, formatPlanSql, planDown, planUp, readMigrationFiles } from "../../components/migrate/migrations";
import "../../components/targets/builtin";
import { UsageError } from "../../scripts/cli-args";
import { parseMigrateArgs } from "../../scripts/migrate-args";

describe("migrations: npm run migrate flags", () => {
  it("parses up, --down n, --dry-run and --allow-incompatible", () => {
    assert.deepEqual(parseMigrateArgs(["--env", "prod"]), { stack: "prod", down: undefined, dryRun: false, allowIncompatible: false, json: false });
    assert.deepEqual(parseMigrateArgs(["--env", "prod", "--down", "2", "--dry-run", "--json"]), { stack: "prod", down: 2, dryRun: true, allowIncompatible: false, json: true });
    assert.equal(parseMigrateArgs(["--env", "prod", "--allow-incompatible"]).allowIncompatible, true);
  });
  for (const [args, message] of [
    [[], /--env is required/],
    [["--env", "prod", "--steps", "1"], /Unknown option '--steps' \(allowed flags: --env, --down, --dry-run, --allow-incompatible, --json\)/],
    [["--env", "prod", "--down", "0"], /--down "0" is not allowed \(allowed: a positive integer/],
    [["--env", "prod", "--down", "-1"], /--down/],
    [["--env", "prod", "--down", "one"], /--down "one" is not allowed/],
    [["--env", "prod", "--down", "1", "--allow-incompatible"], /--allow-incompatible goes with applying migrations, not with --down/],
    [["--env", "no/such"], /--env "no\/such" is not a stack name/],
  ] as [string[], RegExp][]) {
    it(`refuses ${JSON.stringify(args)}`, () => {
      assert.throws(() => parseMigrateArgs(args), (e: Error) => e instanceof UsageError && message.test(e.message));
    });
  }
});

describe("migrations: the folder and the plan", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "runbook-migrate-unit-"));
    fs.writeFileSync(path.join(dir, "10_second.sql"), "-- Up Migration\nalter table t add column b int;\n-- Down Migration\nalter table t drop column b;\n");
    fs.writeFileSync(path.join(dir, "9_first.sql"), "-- Up Migration\ncreate table t (a int);\n-- Down Migration\ndrop table t;\n");
    fs.writeFileSync(path.join(dir, "11_no_down.sql"), "create index t_a on t (a);\n");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reads the files in the tool's order (numeric prefix), split into up and down", async () => {
    const files = await readMigrationFiles(dir);
    assert.deepEqual(files.map((f) => f.name), ["9_first", "10_second", "11_no_down"]);
    assert.match(files[1].up!, /add column b int;\s*$/);
    assert.doesNotMatch(files[1].up!, /drop column/);
    assert.match(files[1].down!, /drop column b/);
    assert.equal(files[2].down, undefined);
  });

  it("up runs what is not applied, in order; an applied migration without its file is refused", async () => {
    const files = await readMigrationFiles(dir);
    assert.deepEqual(planUp(files, ["9_first"]).migrations.map((m) => m.name), ["10_second", "11_no_down"]);
    assert.deepEqual(planUp(files, ["9_first", "10_second", "11_no_down"]).migrations, []);
    assert.throws(() => planUp(files, ["8_gone"]), (e: Error) => e instanceof MigrationRefused && /applied migration 8_gone not in the migrations folder/.test(e.message));
  });

  it("--down n reverts the last n applied, newest first; more than applied, or one without a down part, is refused", async () => {
    const files = await readMigrationFiles(dir);
    assert.deepEqual(planDown(files, ["9_first", "10_second"], 2).migrations.map((m) => m.name), ["10_second", "9_first"]);
    assert.throws(() => planDown(files, ["9_first"], 2), /--down 2: only 1 migration is applied \(9_first\); nothing was reverted/);
    assert.throws(() => planDown(files, ["9_first", "10_second", "11_no_down"], 1), /11_no_down has no "-- Down Migration" part/);
  });

  it("the dry run lists each migration's SQL in the direction it runs", async () => {
    const files = await readMigrationFiles(dir);
    const text = formatPlanSql(planDown(files, ["9_first", "10_second"], 1));
    assert.match(text, /^-- 10_second \(down\)\n-- Down Migration\nalter table t drop column b;\n$/);
    assert.equal(formatPlanSql(planUp(files, ["9_first", "10_second", "11_no_down"])), "no pending migrations\n");
  });

  it("the sample service's first migration creates items as the releases did, and reverting it keeps the table", async () => {
    const files = await readMigrationFiles(path.resolve(__dirname, "..", "..", "..", "sample-service", "migrations"));
    assert.equal(files[0].name, "001_items");
    assert.match(files[0].up!, /create table if not exists items \(\s*id serial primary key,\s*name text not null,\s*created_at timestamptz default now\(\)\s*\)/);
    assert.doesNotMatch(files[0].down!.replace(/--.*$/gm, ""), /drop/i);
  });
});

describe("migrations: the config keys", () => {
  it("defaults to the sample service's folder in public, compatibility enforced", () => {
    assert.deepEqual(parseStackConfig({ blue: { version: "v1.0.0" } }).migrations, { enabled: true, directory: "sample-service/migrations", schema: "public", allowIncompatible: false });
  });
  it("names a bad key and value", () => {
    assert.throws(() => parseStackConfig({ blue: { version: "v1.0.0" }, migrations: { schema: "Bad-Name" } }), (e: Error) => e instanceof StackConfigError && /deployment-runbook:migrations\.schema: must be a schema name/.test(e.message));
    assert.throws(() => parseStackConfig({ blue: { version: "v1.0.0" }, migrations: { dir: "x" } }), (e: Error) => e instanceof StackConfigError && /deployment-runbook:migrations\.dir: unknown key \(allowed: enabled, directory, schema, allowIncompatible\)/.test(e.message));
  });
});

describe("migrations: where they connect", () => {
  it("the local target's database; kubernetes and aws only with their databaseUrl, else a reason naming the target and the key", () => {
    const local = migrationDatabaseUrl(parseStackConfig({ blue: { version: "v1.0.0" } }));
    assert.ok(local.ok && /^postgres:\/\/runbook:.*@127\.0\.0\.1:\d+\/runbook$/.test(local.url));
    const base = { target: "kubernetes", blue: { version: "v1.0.0" } } as never;
    const without = migrationDatabaseUrl({ ...(base as object), kubernetes: {} } as never);
    assert.deepEqual(without, { ok: false, reason: "the kubernetes target has no database URL for migrations (set deployment-runbook:kubernetes.databaseUrl, as a secret, to where this machine reaches the database)" });
    assert.deepEqual(migrationDatabaseUrl({ target: "aws", aws: { databaseUrl: "postgres://u:p@db:5432/app" } } as never), { ok: true, url: "postgres://u:p@db:5432/app" });
  });
});
