import * as assert from "node:assert/strict";
import { stableKept } from "../../../policies/stable-kept";
import { checkStack, DYNAMIC, FakeResource, k8sStack, localStack, promotion, rollback, THURSDAY, urn } from "./fixtures";

const RECORD = urn(DYNAMIC, "web-record");
const withoutBlue = (stack: FakeResource[]) => stack.filter((r) => !r.name.startsWith("web-blue"));

/** The update that takes green to 100%, `minutesAgo` before THURSDAY by the record's clock. */
function completion(minutesAgo: number) {
  const r = promotion();
  const since = new Date(Date.parse(THURSDAY) - minutesAgo * 60_000).toISOString();
  r.plan.previous = { blue: 50, green: 50 };
  r.plan.next = { blue: 0, green: 100 };
  r.plan.nextStable = { color: "green", version: "v2.0.0", since };
  return r;
}

describe("stable-kept", () => {
  it("passes a promotion that keeps the stable color's environment", async () => {
    assert.deepEqual(await checkStack(stableKept, localStack(), { now: THURSDAY }), []);
    assert.deepEqual(await checkStack(stableKept, localStack(completion(0)), { now: THURSDAY }), []);
  });

  it("refuses removing the stable color while the new one has less than 100%", async () => {
    assert.deepEqual(await checkStack(stableKept, withoutBlue(localStack()), { now: THURSDAY }), [
      {
        message:
          "promotion toward green v2.0.0 leaves green at 10% but removes blue v1.0.0, the rollback target; keep `deployment-runbook:blue.version` set to v1.0.0 until green serves 100% for 30 minutes",
        urn: RECORD,
      },
    ]);
  });

  it("refuses removing it within keepMinutes after the new color reached 100%", async () => {
    assert.deepEqual(await checkStack(stableKept, withoutBlue(localStack(completion(12))), { now: THURSDAY }), [
      {
        message:
          "promotion toward green v2.0.0 removes blue v1.0.0, the rollback target, 12 minutes after green reached 100% (keep period 30 minutes); keep `deployment-runbook:blue.version` set to v1.0.0 until the keep period has passed",
        urn: RECORD,
      },
    ]);
  });

  it("allows removing it once the keep period has passed", async () => {
    assert.deepEqual(await checkStack(stableKept, withoutBlue(localStack(completion(31))), { now: THURSDAY }), []);
    assert.deepEqual(await checkStack(stableKept, withoutBlue(localStack(completion(12))), { now: THURSDAY, keepMinutes: 10 }), []);
  });

  it("finds the environment on the kubernetes target by its color label", async () => {
    const record = { ...promotion(), target: "kubernetes" };
    assert.deepEqual(await checkStack(stableKept, k8sStack(record), { now: THURSDAY }), []);
    const stack = k8sStack(record).filter((r) => r.name !== "web-blue-deployment");
    assert.deepEqual(
      (await checkStack(stableKept, stack, { now: THURSDAY })).map((v) => v.message),
      [
        "promotion toward green v2.0.0 leaves green at 10% but removes blue v1.0.0, the rollback target; keep `deployment-runbook:blue.version` set to v1.0.0 until green serves 100% for 30 minutes",
      ],
    );
  });

  it("does not count another service's environment of the same color", async () => {
    const stack = withoutBlue(localStack());
    stack.push({ type: DYNAMIC, name: "api-blue-processes", props: { runbook: "environment", service: "api", color: "blue", version: "v9.0.0" } });
    assert.equal((await checkStack(stableKept, stack, { now: THURSDAY })).length, 1);
  });

  it("names the `now` option when it is not an ISO-8601 time", async () => {
    assert.deepEqual(await checkStack(stableKept, withoutBlue(localStack(completion(12))), { now: "soon" }), [
      { message: 'policy config `now` must be an ISO-8601 time with Z or an offset, such as "2026-11-27T15:00:00Z" (got "soon")', urn: RECORD },
    ]);
  });

  it("never blocks a rollback, even one that removes the color it leaves", async () => {
    const stack = localStack(rollback()).filter((r) => !r.name.startsWith("web-green"));
    assert.deepEqual(await checkStack(stableKept, stack, { now: THURSDAY }), []);
  });
});

describe("stable-kept: retiring a color", () => {
  const T100 = "2026-11-25T12:00:00.000Z";
  const stackWith = (retiring: unknown, now: string) => {
    const props = {
      runbook: "deployment-record",
      project: "deployment-runbook",
      stack: "prod",
      service: "app",
      target: "local",
      plan: { kind: "hold", next: { blue: 0, green: 100 }, retiring },
      versions: { green: "v2.0.0" },
      hotfix: false,
      maintenance: false,
      gates: [],
      sensitiveConfig: [],
    };
    const reports: string[] = [];
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    (stableKept.validateStack as any)(
      {
        resources: [{ type: "pulumi-nodejs:dynamic:Resource", name: "app-record", urn: "urn:record", props, dependencies: [], propertyDependencies: {}, isType: () => false, asType: () => undefined }],
        getConfig: () => ({ keepMinutes: 30, now }),
      },
      (m: string) => reports.push(m),
    );
    return reports;
  };
  const retiring = { color: "blue", version: "v1.0.0", replacedBy: { color: "green", version: "v2.0.0", since: T100 } };

  it("refuses removing the rollback target 10 minutes after the replacement reached 100%", () => {
    assert.deepEqual(stackWith(retiring, "2026-11-25T12:10:00.000Z"), [
      "hold of app removes blue v1.0.0, the rollback target, 10 minutes after green v2.0.0 reached 100% (keep period 30 minutes); keep `deployment-runbook:blue.version` set to v1.0.0 until the keep period has passed",
    ]);
  });

  it("allows it once the keep period has passed", () => {
    assert.deepEqual(stackWith(retiring, "2026-11-25T12:31:00.000Z"), []);
  });
});
