import * as assert from "node:assert/strict";
import { trafficStep } from "../../../policies/traffic-step";
import { checkRecord, promotion, rollback } from "./fixtures";

/** A promotion toward `towards` from the previous traffic to the next. */
function step(towards: "blue" | "green", previousGreen: number, nextGreen: number) {
  const r = promotion();
  r.plan.towards = towards;
  r.plan.previous = { blue: 100 - previousGreen, green: previousGreen };
  r.plan.next = { blue: 100 - nextGreen, green: nextGreen };
  return r;
}

describe("traffic-step", () => {
  it("passes a first step of 10% and a later step of 40 points", async () => {
    assert.deepEqual(await checkRecord(trafficStep, promotion()), []);
    assert.deepEqual(await checkRecord(trafficStep, step("green", 10, 50)), []);
    assert.deepEqual(await checkRecord(trafficStep, step("green", 50, 100)), []);
  });

  it("refuses a first step toward a new release above maxFirstStepPercent", async () => {
    assert.deepEqual(await checkRecord(trafficStep, step("green", 0, 25)), [
      "promotion toward green v2.0.0 is its first step and moves 25% of traffic (green 0% -> 25%), more than the 10% allowed for a first step; set `deployment-runbook:traffic.green` to 10 or less",
    ]);
  });

  it("refuses any step above maxStepPoints", async () => {
    assert.deepEqual(await checkRecord(trafficStep, step("green", 10, 70)), [
      "promotion toward green v2.0.0 moves 60 points of traffic in one step (green 10% -> 70%), more than the 50 points allowed; set `deployment-runbook:traffic.green` to 60 or less and continue in further steps",
    ]);
  });

  it("says which traffic.green keeps a step toward blue within the limit", async () => {
    const r = step("blue", 100, 70);
    r.versions.blue = "v3.0.0";
    r.plan.stable = { color: "green", version: "v2.0.0" };
    assert.deepEqual(await checkRecord(trafficStep, r), [
      "promotion toward blue v3.0.0 is its first step and moves 30% of traffic (blue 0% -> 30%), more than the 10% allowed for a first step; set `deployment-runbook:traffic.green` to 90 or more",
    ]);
  });

  it("reports one message when a first step breaks both limits", async () => {
    assert.deepEqual(await checkRecord(trafficStep, step("green", 0, 80)), [
      "promotion toward green v2.0.0 is its first step and moves 80% of traffic (green 0% -> 80%), more than the 10% allowed for a first step; set `deployment-runbook:traffic.green` to 10 or less",
    ]);
  });

  it("uses the limits from the policy config", async () => {
    assert.deepEqual(await checkRecord(trafficStep, step("green", 0, 25), { maxFirstStepPercent: 25 }), []);
    assert.deepEqual(await checkRecord(trafficStep, step("green", 10, 40), { maxStepPoints: 20 }), [
      "promotion toward green v2.0.0 moves 30 points of traffic in one step (green 10% -> 40%), more than the 20 points allowed; set `deployment-runbook:traffic.green` to 30 or less and continue in further steps",
    ]);
  });

  it("does not judge a first deployment or a rolling update (no weight moves between releases)", async () => {
    const initial = promotion();
    initial.plan = { kind: "initial", next: { blue: 0, green: 100 }, towards: "green" };
    assert.deepEqual(await checkRecord(trafficStep, initial), []);
    const rolling = step("green", 0, 100);
    rolling.plan.kind = "rolling";
    assert.deepEqual(await checkRecord(trafficStep, rolling), []);
  });

  it("never blocks a rollback, whatever its size", async () => {
    const r = rollback(); // green 50% -> 0% at once
    r.plan.previous = { blue: 0, green: 100 };
    assert.deepEqual(await checkRecord(trafficStep, r), []);
  });
});
