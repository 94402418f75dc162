import * as assert from "node:assert/strict";
import { deploymentWindow } from "../../../policies/deployment-window";
import { checkRecord, FRIDAY_4PM_BERLIN, promotion, rollback, THURSDAY } from "./fixtures";

const berlin = { timeZone: "Europe/Berlin" };
const HINT = "wait for the window or set `deployment-runbook:hotfix` true for a critical hotfix";

describe("deployment-window", () => {
  it("passes a promotion on a Thursday with the default window (Mon-Thu, UTC)", async () => {
    assert.deepEqual(await checkRecord(deploymentWindow, promotion(), { now: THURSDAY }), []);
  });

  it("refuses a promotion on Friday 16:00 in Europe/Berlin", async () => {
    assert.deepEqual(await checkRecord(deploymentWindow, promotion(), { ...berlin, now: FRIDAY_4PM_BERLIN }), [
      `promotion toward green v2.0.0 on Fri 16:00 Europe/Berlin is outside the deployment window (Mon-Thu 00:00-24:00 Europe/Berlin); ${HINT}`,
    ]);
  });

  it("judges the day in the configured time zone: Thursday 23:30 UTC is already Friday in Berlin", async () => {
    const now = "2026-11-26T23:30:00Z";
    assert.deepEqual(await checkRecord(deploymentWindow, promotion(), { now }), []);
    assert.deepEqual(await checkRecord(deploymentWindow, promotion(), { ...berlin, now }), [
      `promotion toward green v2.0.0 on Fri 00:30 Europe/Berlin is outside the deployment window (Mon-Thu 00:00-24:00 Europe/Berlin); ${HINT}`,
    ]);
  });

  it("blocks weekends by default", async () => {
    assert.deepEqual(await checkRecord(deploymentWindow, promotion(), { now: "2026-11-29T12:00:00Z" }), [
      `promotion toward green v2.0.0 on Sun 12:00 UTC is outside the deployment window (Mon-Thu 00:00-24:00 UTC); ${HINT}`,
    ]);
  });

  it("lets a hotfix through on a Friday", async () => {
    const r = promotion();
    r.hotfix = true;
    assert.deepEqual(await checkRecord(deploymentWindow, r, { ...berlin, now: FRIDAY_4PM_BERLIN }), []);
  });

  it("keeps to the configured hours and days", async () => {
    const hours = { startHour: 9, endHour: 17, days: ["Mon", "Wed", "Thu", "Fri"] };
    assert.deepEqual(await checkRecord(deploymentWindow, promotion(), { ...hours, now: "2026-11-26T08:59:00Z" }), [
      `promotion toward green v2.0.0 on Thu 08:59 UTC is outside the deployment window (Mon, Wed-Fri 09:00-17:00 UTC); ${HINT}`,
    ]);
    assert.deepEqual(await checkRecord(deploymentWindow, promotion(), { ...hours, now: "2026-11-27T16:59:00Z" }), []);
    assert.equal((await checkRecord(deploymentWindow, promotion(), { ...hours, now: "2026-11-27T17:00:00Z" })).length, 1);
  });

  it("supports an overnight low-traffic window that opens on the listed days", async () => {
    const night = { startHour: 22, endHour: 6 };
    // Opened Thursday 22:00, still open Friday 05:59; the Friday-evening window never opens.
    assert.deepEqual(await checkRecord(deploymentWindow, promotion(), { ...night, now: "2026-11-27T05:59:00Z" }), []);
    assert.deepEqual(await checkRecord(deploymentWindow, promotion(), { ...night, now: "2026-11-27T22:30:00Z" }), [
      `promotion toward green v2.0.0 on Fri 22:30 UTC is outside the deployment window (Mon-Thu 22:00-06:00 UTC); ${HINT}`,
    ]);
  });

  it("judges rolling updates and first deployments too", async () => {
    const rolling = promotion();
    rolling.plan = { ...rolling.plan, kind: "rolling", previous: { blue: 0, green: 100 }, next: { blue: 0, green: 100 } };
    rolling.versions.green = "v2.0.1";
    assert.deepEqual(await checkRecord(deploymentWindow, rolling, { ...berlin, now: FRIDAY_4PM_BERLIN }), [
      `rolling update of green v2.0.1 on Fri 16:00 Europe/Berlin is outside the deployment window (Mon-Thu 00:00-24:00 Europe/Berlin); ${HINT}`,
    ]);
    const initial = promotion();
    initial.plan = { kind: "initial", next: { blue: 0, green: 100 }, towards: "green" };
    assert.deepEqual(await checkRecord(deploymentWindow, initial, { ...berlin, now: FRIDAY_4PM_BERLIN }), [
      `initial deployment of green v2.0.0 on Fri 16:00 Europe/Berlin is outside the deployment window (Mon-Thu 00:00-24:00 Europe/Berlin); ${HINT}`,
    ]);
  });

  it("never blocks a rollback or a hold on a Friday", async () => {
    const r = rollback();
    assert.deepEqual(await checkRecord(deploymentWindow, r, { ...berlin, now: FRIDAY_4PM_BERLIN }), []);
    r.plan.kind = "hold";
    assert.deepEqual(await checkRecord(deploymentWindow, r, { ...berlin, now: FRIDAY_4PM_BERLIN }), []);
  });

  describe("invalid policy config fails closed, naming the option", () => {
    it("timeZone", async () => {
      assert.deepEqual(await checkRecord(deploymentWindow, promotion(), { timeZone: "Europe/Berln", now: THURSDAY }), [
        'policy config `timeZone` "Europe/Berln" is not an IANA time zone; use a name such as "Europe/Berlin", "America/New_York" or "UTC"',
      ]);
    });

    it("now", async () => {
      assert.deepEqual(await checkRecord(deploymentWindow, promotion(), { now: "2026-11-27 15:00" }), [
        'policy config `now` must be an ISO-8601 time with Z or an offset, such as "2026-11-27T15:00:00Z" (got "2026-11-27 15:00")',
      ]);
    });

    it("days", async () => {
      assert.deepEqual(await checkRecord(deploymentWindow, promotion(), { days: ["Monday"], now: THURSDAY }), [
        'policy config `days` must list days such as ["Mon", "Tue", "Wed", "Thu"] (got ["Monday"])',
      ]);
    });

    it("startHour and endHour", async () => {
      assert.deepEqual(await checkRecord(deploymentWindow, promotion(), { startHour: 8, endHour: 8, now: THURSDAY }), [
        "policy config `startHour` (8) and `endHour` (8) must be different whole hours, from 0 to 23 and from 1 to 24; use 0 and 24 for the whole day",
      ]);
    });
  });

  it("an empty days list freezes promotions", async () => {
    assert.deepEqual(await checkRecord(deploymentWindow, promotion(), { days: [], now: THURSDAY }), [
      `promotion toward green v2.0.0 on Thu 10:00 UTC is outside the deployment window (no days: promotions are frozen); ${HINT}`,
    ]);
  });
});
