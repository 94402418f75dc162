// DESIGN.md: moving traffic toward the color that served it (a rollback) is never blocked by a
// gate, a window or a backup rule. A rollback at the worst moment, in a stack that breaks every
// rule, passes every policy of the pack; the same stack during a promotion does not.
import * as assert from "node:assert/strict";
import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { checkResource, checkStack, DYNAMIC, FakeResource, FRIDAY_4PM_BERLIN, k8sDeployment, loadPack, promotion, Props, rollback, targetGroup } from "./fixtures";

const config: Record<string, object> = {
  "backup-age": { now: FRIDAY_4PM_BERLIN },
  "deployment-window": { timeZone: "Europe/Berlin", now: FRIDAY_4PM_BERLIN },
  "stable-kept": { now: FRIDAY_4PM_BERLIN },
};

/** Friday 16:00 in Berlin, no backup, a plain-text webhook, no gate, bare workloads, a staging stack that ran nothing, a red build, a huge change. */
function worstStack(record: Props): FakeResource[] {
  delete record.backup;
  record.staging = { stack: "staging", provenVersions: [] };
  record.ci = { source: "ci/status-{version}.json", passed: false, detail: "failure" };
  record.changeSize = { from: "v1.0.0", to: "v2.0.0", maxLines: 200, lines: 5000, files: 80 };
  record.sensitiveConfig[0].secret = false;
  record.plan.nextStable = { color: record.plan.towards, version: record.versions[record.plan.towards], since: FRIDAY_4PM_BERLIN };
  const deployment = k8sDeployment("green", "v2.0.0");
  delete deployment.props.spec.template.spec.containers[0].readinessProbe;
  const tg = targetGroup("green");
  tg.props.healthCheck.enabled = false;
  return [
    { type: DYNAMIC, name: "web-router-nginx", props: { runbook: "router-traffic", service: "web", traffic: record.plan.next } },
    deployment,
    tg,
    { type: DYNAMIC, name: "web-record", props: record },
  ];
}

async function reportsOf(stack: FakeResource[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const p of loadPack().args.policies) {
    const cfg = config[p.name] ?? {};
    let n = 0;
    if ("validateStack" in p) n += (await checkStack(p as StackValidationPolicy, stack, cfg)).length;
    else for (const r of stack) n += (await checkResource(p as ResourceValidationPolicy, r, cfg)).length;
    counts[p.name] = n;
  }
  return counts;
}

describe("no policy ever blocks a rollback or a hold", () => {
  it("a rollback on Friday 16:00 that breaks every rule is reported by no policy", async () => {
    const counts = await reportsOf(worstStack(rollback()));
    assert.deepEqual(Object.entries(counts).filter(([, n]) => n > 0), []);
  });

  it("nor is a hold", async () => {
    const hold = rollback();
    hold.plan = { ...hold.plan, kind: "hold", previous: { blue: 100, green: 0 }, towards: undefined };
    const counts = await reportsOf(worstStack(hold));
    assert.deepEqual(Object.entries(counts).filter(([, n]) => n > 0), []);
  });

  it("the same stack during a promotion is reported by every policy", async () => {
    const r = promotion();
    r.plan.previous = { blue: 100, green: 0 };
    r.plan.next = { blue: 40, green: 60 };
    const stack = worstStack(r).filter((x) => !(x.props.runbook === "environment"));
    const counts = await reportsOf(stack);
    assert.deepEqual(Object.entries(counts).filter(([, n]) => n === 0), []);
  });
});
