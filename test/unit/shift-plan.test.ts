import { strict as assert } from "assert";
import { planShift, AppliedState, PROVEN_HISTORY, retirementProblems, backupTrigger } from "../../components/shift/plan";

const T0 = "2026-11-25T10:00:00.000Z";
const T1 = "2026-11-25T11:00:00.000Z";

describe("planShift", () => {
  it("classifies the first deployment as initial and proves the color at 100%", () => {
    const p = planShift(undefined, { blue: 100, green: 0 }, { blue: "v1.0.0" }, T0);
    assert.equal(p.kind, "initial");
    assert.equal(p.towards, "blue");
    assert.deepEqual(p.nextStableReleases, { blue: { version: "v1.0.0", since: T0 } });
    assert.deepEqual(p.nextStable, { color: "blue", version: "v1.0.0", since: T0 });
  });

  const afterV1: AppliedState = { traffic: { blue: 100, green: 0 }, versions: { blue: "v1.0.0" }, stableReleases: { blue: { version: "v1.0.0", since: T0 } } };

  it("deploying green with no traffic is a hold", () => {
    const p = planShift(afterV1, { blue: 100, green: 0 }, { blue: "v1.0.0", green: "v2.0.0" }, T1);
    assert.equal(p.kind, "hold");
    assert.equal(p.towards, undefined);
  });

  it("moving traffic to a release that is not stable is a promotion, blue the stable rollback target", () => {
    const p = planShift({ ...afterV1, versions: { blue: "v1.0.0", green: "v2.0.0" } }, { blue: 90, green: 10 }, { blue: "v1.0.0", green: "v2.0.0" }, T1);
    assert.equal(p.kind, "promote");
    assert.equal(p.towards, "green");
    assert.deepEqual(p.stable, { color: "blue", version: "v1.0.0", since: T0 });
  });

  it("moving traffic back to the stable release is a rollback, even after green reached 100%", () => {
    const after100: AppliedState = {
      traffic: { blue: 0, green: 100 },
      versions: { blue: "v1.0.0", green: "v2.0.0" },
      stableReleases: { blue: { version: "v1.0.0", since: T0 }, green: { version: "v2.0.0", since: T1 } },
    };
    const p = planShift(after100, { blue: 100, green: 0 }, { blue: "v1.0.0", green: "v2.0.0" }, T1);
    assert.equal(p.kind, "rollback");
    assert.equal(p.towards, "blue");
    // green's proof is withdrawn: promoting it again is gated
    assert.deepEqual(Object.keys(p.nextStableReleases), ["blue"]);
    const again = planShift({ ...after100, traffic: { blue: 100, green: 0 }, stableReleases: p.nextStableReleases }, { blue: 90, green: 10 }, { blue: "v1.0.0", green: "v2.0.0" });
    assert.equal(again.kind, "promote");
  });

  it("a new version on the idle color loses that color's proof (roles swap)", () => {
    const prev: AppliedState = {
      traffic: { blue: 0, green: 100 },
      versions: { blue: "v1.0.0", green: "v2.0.0" },
      stableReleases: { blue: { version: "v1.0.0", since: T0 }, green: { version: "v2.0.0", since: T1 } },
    };
    const p = planShift(prev, { blue: 10, green: 90 }, { blue: "v3.0.0", green: "v2.0.0" });
    assert.equal(p.kind, "promote");
    assert.equal(p.towards, "blue");
    assert.deepEqual(p.stable, { color: "green", version: "v2.0.0", since: T1 });
  });

  it("a new version on a serving color with unchanged traffic is rolling", () => {
    const p = planShift(afterV1, { blue: 100, green: 0 }, { blue: "v1.1.0" });
    assert.equal(p.kind, "rolling");
    assert.equal(p.towards, "blue");
  });

  it("removing a color's version marks it retiring, replaced by the stable color", () => {
    const prev: AppliedState = {
      traffic: { blue: 0, green: 100 },
      versions: { blue: "v1.0.0", green: "v2.0.0" },
      stableReleases: { blue: { version: "v1.0.0", since: T0 }, green: { version: "v2.0.0", since: T1 } },
    };
    const p = planShift(prev, { blue: 0, green: 100 }, { green: "v2.0.0" });
    assert.equal(p.kind, "hold");
    assert.deepEqual(p.retiring, { color: "blue", version: "v1.0.0", replacedBy: { color: "green", version: "v2.0.0", since: T1 } });
  });

  describe("version revert: proven releases are remembered beyond the two colors", () => {
    const T2 = "2026-11-25T12:00:00.000Z";
    const prev: AppliedState = {
      traffic: { blue: 0, green: 100 },
      versions: { blue: "v2.0.0", green: "v3.0.0" },
      stableReleases: { blue: { version: "v2.0.0", since: T0 }, green: { version: "v3.0.0", since: T1 } },
      provenReleases: [
        { version: "v3.0.0", since: T1 },
        { version: "v2.0.0", since: T0 },
        { version: "v1.0.0", since: "2026-11-24T10:00:00.000Z" },
      ],
    };

    it("a proven release put back on the idle color with the traffic is a rollback, counted from now", () => {
      const p = planShift(prev, { blue: 100, green: 0 }, { blue: "v1.0.0", green: "v3.0.0" }, T2);
      assert.equal(p.kind, "rollback");
      assert.equal(p.towards, "blue");
      assert.deepEqual(p.nextStable, { color: "blue", version: "v1.0.0", since: T2 });
      // v3.0.0 was rolled back from: no longer proven, and green lost its standing.
      assert.deepEqual(p.nextProvenReleases.map((r) => r.version), ["v1.0.0", "v2.0.0"]);
      assert.equal(p.nextProvenReleases[0].since, T2);
      assert.deepEqual(Object.keys(p.nextStableReleases), ["blue"]);
    });

    it("a release rolled back from is a promotion when put back", () => {
      const reverted = planShift(prev, { blue: 100, green: 0 }, { blue: "v1.0.0", green: "v3.0.0" }, T2);
      const applied: AppliedState = {
        traffic: { blue: 100, green: 0 },
        versions: { blue: "v1.0.0", green: "v3.0.0" },
        stableReleases: reverted.nextStableReleases,
        provenReleases: reverted.nextProvenReleases,
      };
      const p = planShift(applied, { blue: 90, green: 10 }, { blue: "v1.0.0", green: "v3.0.0" });
      assert.equal(p.kind, "promote");
      const p2 = planShift(applied, { blue: 90, green: 10 }, { blue: "v1.0.0", green: "v2.0.0" });
      assert.equal(p2.kind, "rollback", "v2.0.0 is still proven");
    });

    it("a release that never served 100% stays a promotion; newly proven releases go first, at most PROVEN_HISTORY", () => {
      assert.equal(planShift(prev, { blue: 100, green: 0 }, { blue: "v4.0.0", green: "v3.0.0" }, T2).kind, "promote");
      const long: AppliedState = { ...prev, provenReleases: Array.from({ length: PROVEN_HISTORY }, (_, i) => ({ version: `v0.${i}.0`, since: T0 })) };
      const p = planShift(long, { blue: 100, green: 0 }, { blue: "v4.0.0", green: "v3.0.0" }, T2);
      assert.equal(p.nextProvenReleases.length, PROVEN_HISTORY);
      assert.deepEqual(p.nextProvenReleases[0], { version: "v4.0.0", since: T2 });
    });

    it("a stack from before the history starts it from its stable releases", () => {
      const { provenReleases: _omit, ...old } = prev;
      const p = planShift(old, { blue: 0, green: 100 }, { blue: "v2.0.0", green: "v3.0.0" }, T2);
      assert.deepEqual(p.provenReleases.map((r) => r.version), ["v3.0.0", "v2.0.0"]);
    });
  });

  it("refuses to retire a color that still serves traffic", () => {
    assert.deepEqual(retirementProblems({ traffic: { blue: 50, green: 50 } }, { green: "v2.0.0" }), [
      "deployment-runbook:blue.version: cannot be removed while blue still serves 50% (after the last up); set traffic.green to 100, run up, then remove it",
    ]);
    assert.deepEqual(retirementProblems({ traffic: { blue: 0, green: 100 } }, { green: "v2.0.0" }), []);
  });
});

describe("backupTrigger", () => {
  const promote = planShift(
    { traffic: { blue: 100, green: 0 }, versions: { blue: "v1.0.0", green: "v2.0.0" }, stableReleases: { blue: { version: "v1.0.0", since: T0 } } },
    { blue: 90, green: 10 },
    { blue: "v1.0.0", green: "v2.0.0" },
  );
  const backup = { generation: 0, refreshAfterMinutes: 50 };
  const now = new Date("2026-11-25T12:00:00Z");

  it("keys one backup per promotion and reuses it while fresh", () => {
    assert.equal(backupTrigger(promote, { green: "v2.0.0" }, undefined, backup, now), "green:v2.0.0:g0");
    assert.equal(backupTrigger(promote, { green: "v2.0.0" }, { trigger: "green:v2.0.0:g0", takenAt: "2026-11-25T11:30:00Z" }, backup, now), "green:v2.0.0:g0");
  });

  it("re-takes a stale backup and follows a bumped generation", () => {
    assert.equal(backupTrigger(promote, { green: "v2.0.0" }, { trigger: "green:v2.0.0:g0", takenAt: "2026-11-25T11:00:00Z" }, backup, now), "green:v2.0.0:g0@2026-11-25T12:00:00.000Z");
    assert.equal(backupTrigger(promote, { green: "v2.0.0" }, { trigger: "green:v2.0.0:g0", takenAt: "2026-11-25T11:59:00Z" }, { ...backup, generation: 1 }, now), "green:v2.0.0:g1");
  });

  it("a rollback keeps the last backup: it never waits for a backup", () => {
    const rollback = planShift(
      { traffic: { blue: 90, green: 10 }, versions: { blue: "v1.0.0", green: "v2.0.0" }, stableReleases: { blue: { version: "v1.0.0", since: T0 } } },
      { blue: 100, green: 0 },
      { blue: "v1.0.0", green: "v2.0.0" },
    );
    assert.equal(rollback.kind, "rollback");
    assert.equal(backupTrigger(rollback, {}, { trigger: "green:v2.0.0:g0", takenAt: "2026-11-25T08:00:00Z" }, backup, now), "green:v2.0.0:g0");
  });
});
