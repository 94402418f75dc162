import * as assert from "node:assert/strict";
import { backupAge } from "../../../policies/backup-age";
import { checkRecord, checkResource, DYNAMIC, minutesBeforeThursday, promotion, rollback, THURSDAY, UNKNOWN_VALUE } from "./fixtures";

const at = { now: THURSDAY };

describe("backup-age", () => {
  it("passes a promotion with a verified snapshot taken 30 minutes before", async () => {
    assert.deepEqual(await checkRecord(backupAge, promotion(), at), []);
  });

  it("refuses a snapshot taken 61 minutes before, and passes one taken 59 minutes before", async () => {
    const old = promotion();
    old.snapshot.takenAt = minutesBeforeThursday(61);
    assert.deepEqual(await checkRecord(backupAge, old, at), [
      "promotion toward green v2.0.0 needs a verified snapshot taken less than 60 minutes before it, but snapshot web-20261126-0930 was taken 61 minutes before it (2026-11-26T08:59:00.000Z); take a fresh snapshot and run the update again",
    ]);
    const fresh = promotion();
    fresh.snapshot.takenAt = minutesBeforeThursday(59);
    assert.deepEqual(await checkRecord(backupAge, fresh, at), []);
  });

  it("refuses a snapshot exactly maxAgeMinutes old (less than, not at most)", async () => {
    const r = promotion();
    r.snapshot.takenAt = minutesBeforeThursday(60);
    assert.equal((await checkRecord(backupAge, r, at)).length, 1);
  });

  it("refuses a snapshot that is not verified", async () => {
    const r = promotion();
    r.snapshot.verified = false;
    assert.deepEqual(await checkRecord(backupAge, r, at), [
      "promotion toward green v2.0.0 needs a verified snapshot taken less than 60 minutes before it, but snapshot web-20261126-0930 is not verified (its test restore did not pass); take a snapshot whose restore verification passes",
    ]);
  });

  it("refuses a promotion whose record has no snapshot", async () => {
    const r = promotion();
    delete r.snapshot;
    assert.deepEqual(await checkRecord(backupAge, r, at), [
      "promotion toward green v2.0.0 needs a verified snapshot taken less than 60 minutes before it, but the deployment record has no snapshot; enable the backup snapshot for service web so the update takes one before traffic moves",
    ]);
  });

  it("refuses a snapshot whose takenAt is not an ISO-8601 time", async () => {
    const r = promotion();
    r.snapshot.takenAt = "yesterday";
    assert.deepEqual(await checkRecord(backupAge, r, at), [
      'promotion toward green v2.0.0 needs a verified snapshot taken less than 60 minutes before it, but snapshot web-20261126-0930 has takenAt "yesterday", not an ISO-8601 time; the backup snapshot must record when it was taken',
    ]);
  });

  it("uses maxAgeMinutes from the policy config", async () => {
    const r = promotion(); // snapshot 30 minutes old
    assert.deepEqual(await checkRecord(backupAge, r, { ...at, maxAgeMinutes: 20 }), [
      "promotion toward green v2.0.0 needs a verified snapshot taken less than 20 minutes before it, but snapshot web-20261126-0930 was taken 30 minutes before it (2026-11-26T09:30:00.000Z); take a fresh snapshot and run the update again",
    ]);
  });

  it("judges a rolling update too", async () => {
    const r = promotion();
    r.plan = { ...r.plan, kind: "rolling", previous: { blue: 0, green: 100 }, next: { blue: 0, green: 100 } };
    r.versions.green = "v2.1.0";
    r.snapshot.takenAt = minutesBeforeThursday(90);
    assert.deepEqual(await checkRecord(backupAge, r, at), [
      "rolling update of green v2.1.0 needs a verified snapshot taken less than 60 minutes before it, but snapshot web-20261126-0930 was taken 90 minutes before it (2026-11-26T08:30:00.000Z); take a fresh snapshot and run the update again",
    ]);
  });

  describe("during preview (unknown values)", () => {
    it("passes when the whole snapshot is unknown: it is taken in this update", async () => {
      const r = promotion();
      r.snapshot = UNKNOWN_VALUE;
      assert.deepEqual(await checkRecord(backupAge, r, at), []);
    });

    it("passes when takenAt and verified are unknown", async () => {
      const r = promotion();
      r.snapshot = { snapshotId: UNKNOWN_VALUE, takenAt: UNKNOWN_VALUE, verified: UNKNOWN_VALUE };
      assert.deepEqual(await checkRecord(backupAge, r, at), []);
    });
  });

  describe("a stack's first deployment", () => {
    function initial() {
      const r = promotion();
      r.plan = { kind: "initial", next: { blue: 0, green: 100 }, towards: "green", nextStable: { color: "green", version: "v2.0.0", since: THURSDAY } };
      delete r.snapshot;
      return r;
    }

    it("is exempt by default", async () => {
      assert.deepEqual(await checkRecord(backupAge, initial(), at), []);
    });

    it("needs a snapshot with requireForInitial", async () => {
      assert.deepEqual(await checkRecord(backupAge, initial(), { ...at, requireForInitial: true }), [
        "initial deployment of green v2.0.0 needs a verified snapshot taken less than 60 minutes before it, but the deployment record has no snapshot; enable the backup snapshot for service web so the update takes one before traffic moves",
      ]);
    });
  });

  it("names the `now` option when it is not an ISO-8601 time", async () => {
    assert.deepEqual(await checkRecord(backupAge, promotion(), { now: "Friday 16:00" }), [
      'policy config `now` must be an ISO-8601 time with Z or an offset, such as "2026-11-27T15:00:00Z" (got "Friday 16:00")',
    ]);
  });

  it("never blocks a rollback or a hold, even without a snapshot", async () => {
    const r = rollback();
    delete r.snapshot;
    assert.deepEqual(await checkRecord(backupAge, r, at), []);
    r.plan.kind = "hold";
    assert.deepEqual(await checkRecord(backupAge, r, at), []);
  });

  it("ignores resources that are not a deployment record", async () => {
    const gate = { runbook: "health-gate", color: "green", run: true, snapshot: undefined };
    assert.deepEqual(await checkResource(backupAge, { type: DYNAMIC, name: "web-green-gate", props: gate }, at), []);
    const lookalike = { ...promotion(), snapshot: undefined };
    assert.deepEqual(await checkResource(backupAge, { type: "aws:s3/bucket:Bucket", name: "records", props: lookalike }, at), []);
  });
});
