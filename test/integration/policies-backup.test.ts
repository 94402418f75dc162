// The runbook's checklist enforced by the real engine with the policy pack, and backups that
// restore: Friday promotions refused (and allowed as a hotfix), rollbacks never blocked, backup
// age at 59 and 61 minutes, preview reporting the same, and db:backup / db:restore.
import { strict as assert } from "assert";
import axios from "axios";
import { Client } from "pg";
import { Supervisor } from "../../components/targets/local/supervisor";
import { serviceKey } from "../../components/targets/local/names";
import * as paths from "../../components/targets/local/paths";
import { RunResult, SHORT_ANALYSIS, ThrowawayStack } from "./harness";
import { POLICY_ENV, WEDNESDAY_NOON, writePolicyConfig } from "./policy-clock";

const ROUTER_PORT = 18980;
const BASE_PORT = 21000;
const FRIDAY_16_BERLIN = "2026-11-27T15:00:00Z";
const friday = { RUNBOOK_POLICY_CONFIG: writePolicyConfig({ "deployment-window": { timeZone: "Europe/Berlin", now: FRIDAY_16_BERLIN } }) };

function db(stack: ThrowawayStack, args: string[]): Promise<RunResult> {
  return stack.script("db", args);
}

async function itemCount(): Promise<number> {
  const c = new Client({ connectionString: paths.postgresAdminUrl() });
  await c.connect();
  try {
    return Number((await c.query("select count(*)::int as n from items")).rows[0].n);
  } finally {
    await c.end();
  }
}

describe("policies and backups (real engine, policy pack, PostgreSQL)", function () {
  this.timeout(600_000);
  let stack: ThrowawayStack;
  const pids = async () => Object.fromEntries((await new Supervisor().statusAll(serviceKey(stack.name, "app"))).map((s) => [s.name, s.pid]));

  before(async () => {
    stack = await ThrowawayStack.create("policy", {
      "blue.version": "v1.0.0",
      "blue.replicas": 1,
      "green.version": "v2.0.0",
      "green.replicas": 1,
      "local.routerPort": ROUTER_PORT,
      "local.basePort": BASE_PORT,
      "gates.retries": 0,
      ...SHORT_ANALYSIS,
    });
    const up = await stack.up(POLICY_ENV);
    assert.equal(up.code, 0, up.stdout + up.stderr);
  });
  after(async () => {
    if (stack) await stack.cleanup();
  });

  it("a promotion on Friday 16:00 Europe/Berlin is refused by preview and by up, and changes nothing", async () => {
    const state = stack.stateFile();
    const before = await pids();
    await stack.setConfig("traffic.green", 10);
    const preview = await stack.preview(friday);
    assert.notEqual(preview.code, 0);
    assert.match(preview.stdout, /\[mandatory\]\s+deployment-window/);
    assert.match(preview.stdout, /promotion toward green v2\.0\.0 on Fri 16:00 Europe\/Berlin is outside the deployment window/);
    const up = await stack.up(friday);
    assert.notEqual(up.code, 0);
    assert.match(up.stdout, /deployment-window/);
    assert.equal(stack.stateFile(), state, "the refused up changed the state");
    assert.deepEqual(await pids(), before, "the refused up touched processes");
    assert.deepEqual((await stack.outputs()).traffic, { blue: 100, green: 0 });
  });

  it("the same promotion with hotfix: true succeeds and shows the override", async () => {
    await stack.setConfig("hotfix", true);
    try {
      const up = await stack.up(friday);
      assert.equal(up.code, 0, up.stdout + up.stderr);
      const out = await stack.outputs();
      assert.deepEqual(out.traffic, { blue: 90, green: 10 });
      assert.equal((out.change as { deploymentWindowOverridden: boolean }).deploymentWindowOverridden, true);
    } finally {
      await stack.setConfig("hotfix", false);
    }
  });

  it("a rollback on Friday succeeds", async () => {
    await stack.setConfig("traffic.green", 0);
    const up = await stack.up(friday);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const out = await stack.outputs();
    assert.deepEqual(out.traffic, { blue: 100, green: 0 });
    assert.equal((out.change as { kind: string }).kind, "rollback");
  });

  it("a promotion whose backup is 61 minutes old is refused; at 59 minutes it passes", async () => {
    // Promote again (gated: the rollback withdrew green's proof) so a backup is taken.
    await stack.setConfig("traffic.green", 10);
    const first = await stack.up(POLICY_ENV);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const snap = (await stack.outputs()).backup as { takenAt: string; verified: boolean; backupId: string };
    assert.equal(snap.verified, true);
    const at = (minutes: number) => new Date(Date.parse(snap.takenAt) + minutes * 60_000).toISOString();
    const clock = (minutes: number) => ({
      RUNBOOK_POLICY_CONFIG: writePolicyConfig({ "deployment-window": { now: WEDNESDAY_NOON }, "backup-age": { now: at(minutes) } }),
    });

    await stack.setConfig("traffic.green", 50);
    const state = stack.stateFile();
    const preview = await stack.preview(clock(61));
    assert.notEqual(preview.code, 0);
    assert.match(preview.stdout, /\[mandatory\]\s+backup-age/);
    assert.match(preview.stdout, new RegExp(`backup ${snap.backupId}`));
    const refused = await stack.up(clock(61));
    assert.notEqual(refused.code, 0);
    assert.match(refused.stdout, /backup-age/);
    assert.equal(stack.stateFile(), state);
    assert.deepEqual((await stack.outputs()).traffic, { blue: 90, green: 10 });

    const passed = await stack.up(clock(59));
    assert.equal(passed.code, 0, passed.stdout + passed.stderr);
    const out = await stack.outputs();
    assert.deepEqual(out.traffic, { blue: 50, green: 50 });
    assert.equal((out.backup as { backupId: string }).backupId, snap.backupId, "one backup covers every step of one promotion");
  });

  it("db:backup of a database with data restores to identical row counts; db:restore without --yes changes nothing", async () => {
    const url = `http://127.0.0.1:${ROUTER_PORT}/api/items`;
    for (let i = 0; i < 5; i++) await axios.post(url, { name: `before-backup-${i}` }, { proxy: false });
    const backed = await itemCount();
    const backup = await db(stack, ["backup"]);
    assert.equal(backup.code, 0, backup.stdout + backup.stderr);
    assert.match(backup.stdout, /verified by restore/);

    for (let i = 0; i < 3; i++) await axios.post(url, { name: `after-backup-${i}` }, { proxy: false });
    const changed = await itemCount();
    assert.equal(changed, backed + 3);

    const refused = await db(stack, ["restore", "--backup", "latest"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /nothing was changed: add --yes/);
    assert.equal(await itemCount(), changed, "restore without --yes changed the database");

    const restored = await db(stack, ["restore", "--backup", "latest", "--yes"]);
    assert.equal(restored.code, 0, restored.stdout + restored.stderr);
    assert.match(restored.stdout, /safety backup .* taken/);
    assert.equal(await itemCount(), backed);
  });

  it("db:check reports connect time, server version and connections against the limit", async () => {
    const r = await db(stack, ["check"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /✓ connected in \d+ ms/);
    assert.match(r.stdout, /✓ server version 1\d\.\d+/);
    assert.match(r.stdout, /✓ connections \d+\/\d+ \([\d.]+% of the limit\)/);
  });

  it("db:restore of an unknown backup id is refused, naming the flag and the allowed values", async () => {
    const r = await db(stack, ["restore", "--backup", "no-such-backup", "--yes"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--backup "no-such-backup": no verified backup by that id .*allowed: latest/);
  });
});
