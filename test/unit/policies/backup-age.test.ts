import * as assert from "node:assert/strict";
import { backupAge } from "../../../policies/backup-age";
import { checkRecord, checkResource, DYNAMIC, minutesBeforeThursday, promotion, rollback, THURSDAY, UNKNOWN_VALUE } from "./fixtures";

const at = { now: THURSDAY };

describe("backup-age", () => {
  it("passes a promotion with a verified backup taken 30 minutes before", async () => {
    assert.deepEqual(await checkRecord(backupAge, promotion(), at), []);
  });

  it("refuses when the program's refresh period is at or above maxAgeMinutes, naming both keys", async () => {
    const record = promotion();
    record.backupRefreshAfterMinutes = 60;
    const message =
      "deployment-runbook:backup.refreshAfterMinutes is 60, at or above this policy's maxAgeMinutes 60: a backup the program still reuses could be too old here; " +
      "set deployment-runbook:backup.refreshAfterMinutes below 60";
    assert.deepEqual(await checkRecord(backupAge, record, at), [message]);
    assert.deepEqual(await checkRecord(backupAge, record, { ...at, maxAgeMinutes: 90 }), []);
    record.backupRefreshAfterMinutes = 59;
    assert.deepEqual(await checkRecord(backupAge, record, at), []);
    // A record written before the period was recorded is judged on the backup's age alone.
    delete record.backupRefreshAfterMinutes;
    assert.deepEqual(await checkRecord(backupAge, record, at), []);
  });

  it("refuses a backup taken 61 minutes before, and passes one taken 59 minutes before", async () => {
    const old = promotion();
    old.backup.takenAt = minutesBeforeThursday(61);
    assert.deepEqual(await checkRecord(backupAge, old, at), [
      "promotion toward green v2.0.0 needs a verified backup taken less than 60 minutes before it, but backup web-20261126-0930 was taken 61 minutes before it (2026-11-26T08:59:00.000Z); take a fresh backup and run the update again",
    ]);
    const fresh = promotion();
    fresh.backup.takenAt = minutesBeforeThursday(59);
    assert.deepEqual(await checkRecord(backupAge, fresh, at), []);
  });

  it("refuses a backup exactly maxAgeMinutes old (less than, not at most)", async () => {
    const r = promotion();
    r.backup.takenAt = minutesBeforeThursday(60);
    assert.equal((await checkRecord(backupAge, r, at)).length, 1);
  });

  it("refuses a backup that is not verified", async () => {
    const r = promotion();
    r.backup.verified = false;
    assert.deepEqual(await checkRecord(backupAge, r, at), [
      "promotion toward green v2.0.0 needs a verified backup taken less than 60 minutes before it, but backup web-20261126-0930 is not verified (its test restore did not pass); take a backup whose restore verification passes",
    ]);
  });

  it("refuses a promotion whose record has no backup", async () => {
    const r = promotion();
    delete r.backup;
    assert.deepEqual(await checkRecord(backupAge, r, at), [
      "promotion toward green v2.0.0 needs a verified backup taken less than 60 minutes before it, but the deployment record has no backup; enable the backup for service web so the update takes one before traffic moves",
    ]);
  });

  it("refuses a backup whose takenAt is not an ISO-8601 time", async () => {
    const r = promotion();
    r.backup.takenAt = "yesterday";
    assert.deepEqual(await checkRecord(backupAge, r, at), [
      'promotion toward green v2.0.0 needs a verified backup taken less than 60 minutes before it, but backup web-20261126-0930 has takenAt "yesterday", not an ISO-8601 time; the backup must record when it was taken',
    ]);
  });

  it("uses maxAgeMinutes from the policy config", async () => {
    const r = promotion(); // backup 30 minutes old
    r.backupRefreshAfterMinutes = 15; // below 20: only the age speaks
    assert.deepEqual(await checkRecord(backupAge, r, { ...at, maxAgeMinutes: 20 }), [
      "promotion toward green v2.0.0 needs a verified backup taken less than 20 minutes before it, but backup web-20261126-0930 was taken 30 minutes before it (2026-11-26T09:30:00.000Z); take a fresh backup and run the update again",
    ]);
  });

  it("judges a rolling update too", async () => {
    const r = promotion();
    r.plan = { ...r.plan, kind: "rolling", previous: { blue: 0, green: 100 }, next: { blue: 0, green: 100 } };
    r.versions.green = "v2.1.0";
    r.backup.takenAt = minutesBeforeThursday(90);
    assert.deepEqual(await checkRecord(backupAge, r, at), [
      "rolling update of green v2.1.0 needs a verified backup taken less than 60 minutes before it, but backup web-20261126-0930 was taken 90 minutes before it (2026-11-26T08:30:00.000Z); take a fresh backup and run the update again",
    ]);
  });

  describe("during preview (unknown values)", () => {
    it("passes when the whole backup is unknown: it is taken in this update", async () => {
      const r = promotion();
      r.backup = UNKNOWN_VALUE;
      assert.deepEqual(await checkRecord(backupAge, r, at), []);
    });

    it("passes when takenAt and verified are unknown", async () => {
      const r = promotion();
      r.backup = { backupId: UNKNOWN_VALUE, takenAt: UNKNOWN_VALUE, verified: UNKNOWN_VALUE };
      assert.deepEqual(await checkRecord(backupAge, r, at), []);
    });
  });

  describe("a stack's first deployment", () => {
    function initial() {
      const r = promotion();
      r.plan = { kind: "initial", next: { blue: 0, green: 100 }, towards: "green", nextStable: { color: "green", version: "v2.0.0", since: THURSDAY } };
      delete r.backup;
      return r;
    }

    it("is exempt by default", async () => {
      assert.deepEqual(await checkRecord(backupAge, initial(), at), []);
    });

    it("needs a backup with requireForInitial", async () => {
      assert.deepEqual(await checkRecord(backupAge, initial(), { ...at, requireForInitial: true }), [
        "initial deployment of green v2.0.0 needs a verified backup taken less than 60 minutes before it, but the deployment record has no backup; enable the backup for service web so the update takes one before traffic moves",
      ]);
    });
  });

  it("names the `now` option when it is not an ISO-8601 time", async () => {
    assert.deepEqual(await checkRecord(backupAge, promotion(), { now: "Friday 16:00" }), [
      'policy config `now` must be an ISO-8601 time with Z or an offset, such as "2026-11-27T15:00:00Z" (got "Friday 16:00")',
    ]);
  });

  it("never blocks a rollback or a hold, even without a backup", async () => {
    const r = rollback();
    delete r.backup;
    assert.deepEqual(await checkRecord(backupAge, r, at), []);
    r.plan.kind = "hold";
    assert.deepEqual(await checkRecord(backupAge, r, at), []);
  });

  it("ignores resources that are not a deployment record", async () => {
    const gate = { runbook: "health-gate", color: "green", run: true, backup: undefined };
    assert.deepEqual(await checkResource(backupAge, { type: DYNAMIC, name: "web-green-gate", props: gate }, at), []);
    const lookalike = { ...promotion(), backup: undefined };
    assert.deepEqual(await checkResource(backupAge, { type: "aws:s3/bucket:Bucket", name: "records", props: lookalike }, at), []);
  });
});
