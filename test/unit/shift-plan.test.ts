import { strict as assert } from "assert";
import { planShift, AppliedState } from "../../components/shift/plan";

const T0 = "2026-11-25T10:00:00.000Z";
const T1 = "2026-11-25T11:00:00.000Z";

describe("planShift", () => {
  it("classifies the first deployment as initial and proves the color at 100%", () => {
    const p = planShift(undefined, { blue: 100, green: 0 }, { blue: "v1.0.0" }, T0);
    assert.equal(p.kind, "initial");
    assert.equal(p.towards, "blue");
    assert.deepEqual(p.nextProven, { blue: { version: "v1.0.0", since: T0 } });
    assert.deepEqual(p.nextStable, { color: "blue", version: "v1.0.0", since: T0 });
  });

  const afterV1: AppliedState = { traffic: { blue: 100, green: 0 }, versions: { blue: "v1.0.0" }, proven: { blue: { version: "v1.0.0", since: T0 } } };

  it("deploying green with no traffic is a hold", () => {
    const p = planShift(afterV1, { blue: 100, green: 0 }, { blue: "v1.0.0", green: "v2.0.0" }, T1);
    assert.equal(p.kind, "hold");
    assert.equal(p.towards, undefined);
  });

  it("moving weight to an unproven release is a promotion with blue as rollback target", () => {
    const p = planShift({ ...afterV1, versions: { blue: "v1.0.0", green: "v2.0.0" } }, { blue: 90, green: 10 }, { blue: "v1.0.0", green: "v2.0.0" }, T1);
    assert.equal(p.kind, "promote");
    assert.equal(p.towards, "green");
    assert.deepEqual(p.stable, { color: "blue", version: "v1.0.0", since: T0 });
  });

  it("moving weight back to the proven release is a rollback, even after green reached 100%", () => {
    const after100: AppliedState = {
      traffic: { blue: 0, green: 100 },
      versions: { blue: "v1.0.0", green: "v2.0.0" },
      proven: { blue: { version: "v1.0.0", since: T0 }, green: { version: "v2.0.0", since: T1 } },
    };
    const p = planShift(after100, { blue: 100, green: 0 }, { blue: "v1.0.0", green: "v2.0.0" }, T1);
    assert.equal(p.kind, "rollback");
    assert.equal(p.towards, "blue");
    // green's proof is withdrawn: promoting it again is gated
    assert.deepEqual(Object.keys(p.nextProven), ["blue"]);
    const again = planShift({ ...after100, traffic: { blue: 100, green: 0 }, proven: p.nextProven }, { blue: 90, green: 10 }, { blue: "v1.0.0", green: "v2.0.0" });
    assert.equal(again.kind, "promote");
  });

  it("a new version on the idle color loses that color's proof (roles swap)", () => {
    const prev: AppliedState = {
      traffic: { blue: 0, green: 100 },
      versions: { blue: "v1.0.0", green: "v2.0.0" },
      proven: { blue: { version: "v1.0.0", since: T0 }, green: { version: "v2.0.0", since: T1 } },
    };
    const p = planShift(prev, { blue: 10, green: 90 }, { blue: "v3.0.0", green: "v2.0.0" });
    assert.equal(p.kind, "promote");
    assert.equal(p.towards, "blue");
    assert.deepEqual(p.stable, { color: "green", version: "v2.0.0", since: T1 });
  });

  it("a new version on a serving color with unchanged weights is rolling", () => {
    const p = planShift(afterV1, { blue: 100, green: 0 }, { blue: "v1.1.0" });
    assert.equal(p.kind, "rolling");
    assert.equal(p.towards, "blue");
  });
});
