import * as assert from "node:assert/strict";
import { awsLoadBalancer } from "../../../policies/aws-load-balancer";
import { checkStack, DYNAMIC, FakeResource, promotion, Props, rollback, targetGroup, UNKNOWN_VALUE, urn } from "./fixtures";

const GREEN = urn("aws:lb/targetGroup:TargetGroup", "web-green-tg");
const FIX = 'set healthCheck to { enabled: true, path: "/readyz" } so the load balancer stops sending requests to a task that fails it';

function awsStack(change: (healthCheck: Props, tg: FakeResource) => void = () => {}, record: Props = { ...promotion(), target: "aws" }): FakeResource[] {
  const green = targetGroup("green");
  change(green.props.healthCheck, green);
  return [targetGroup("blue"), green, { type: DYNAMIC, name: "web-record", props: record }];
}

describe("aws-load-balancer", () => {
  it("passes target groups whose health check is enabled with a path", async () => {
    assert.deepEqual(await checkStack(awsLoadBalancer, awsStack()), []);
  });

  it("refuses a target group without a health check", async () => {
    const stack = awsStack((_hc, tg) => delete tg.props.healthCheck);
    assert.deepEqual(await checkStack(awsLoadBalancer, stack), [{ message: `target group web-green-tg has no health check; ${FIX}`, urn: GREEN }]);
  });

  it("refuses a disabled health check", async () => {
    const stack = awsStack((hc) => (hc.enabled = false));
    assert.deepEqual(await checkStack(awsLoadBalancer, stack), [
      { message: `target group web-green-tg has its health check disabled (healthCheck.enabled false); ${FIX}`, urn: GREEN },
    ]);
  });

  it("refuses a health check without a path, unless requirePath is false", async () => {
    const stack = awsStack((hc) => (hc.path = ""));
    assert.deepEqual(await checkStack(awsLoadBalancer, stack), [{ message: `target group web-green-tg has a health check without a path; ${FIX}`, urn: GREEN }]);
    assert.deepEqual(await checkStack(awsLoadBalancer, stack, { requirePath: false }), []);
  });

  it("leaves a health check the provider decides during preview", async () => {
    assert.deepEqual(await checkStack(awsLoadBalancer, awsStack((_hc, tg) => (tg.props.healthCheck = UNKNOWN_VALUE))), []);
  });

  it("never blocks a rollback", async () => {
    const stack = awsStack((hc) => (hc.enabled = false), { ...rollback(), target: "aws" });
    assert.deepEqual(await checkStack(awsLoadBalancer, stack), []);
  });
});
