import * as assert from "node:assert/strict";
import { gateBeforeShift } from "../../../policies/gate-before-shift";
import { checkStack, DYNAMIC, FakeResource, k8sStack, localStack, promotion, Props, rollback, urn } from "./fixtures";

const ROUTER = urn(DYNAMIC, "web-router-nginx");
const TAIL = "make it depend on the green health gate with run true, so a failed gate leaves traffic as it was";

function edit(stack: FakeResource[], name: string, change: (r: FakeResource) => void): FakeResource[] {
  const r = stack.find((x) => x.name === name);
  if (!r) throw new Error(`no ${name}`);
  change(r);
  return stack;
}

describe("gate-before-shift", () => {
  it("passes when the router depends on the green gate that runs in this update", async () => {
    assert.deepEqual(await checkStack(gateBeforeShift, localStack()), []);
  });

  it("refuses a router that does not depend on any gate", async () => {
    const stack = edit(localStack(), "web-router-nginx", (r) => (r.dependsOn = ["web-blue-processes", "web-green-processes"]));
    assert.deepEqual(await checkStack(gateBeforeShift, stack), [
      {
        message: `web-router-nginx shifts traffic for the promotion toward green v2.0.0 without waiting for a health gate for green run in this update (gates it depends on: none); ${TAIL}`,
        urn: ROUTER,
      },
    ]);
  });

  it("refuses when the gate does not run in this update", async () => {
    const stack = edit(localStack(), "web-green-gate", (g) => (g.props.run = false));
    assert.deepEqual(await checkStack(gateBeforeShift, stack), [
      {
        message: `web-router-nginx shifts traffic for the promotion toward green v2.0.0 without waiting for a health gate for green run in this update (gates it depends on: web-green-gate (green, run false)); ${TAIL}`,
        urn: ROUTER,
      },
    ]);
  });

  it("refuses when the gate checks the other color", async () => {
    const stack = edit(localStack(), "web-green-gate", (g) => (g.props.color = "blue"));
    assert.deepEqual(await checkStack(gateBeforeShift, stack), [
      {
        message: `web-router-nginx shifts traffic for the promotion toward green v2.0.0 without waiting for a health gate for green run in this update (gates it depends on: web-green-gate (blue, run true)); ${TAIL}`,
        urn: ROUTER,
      },
    ]);
  });

  it("follows dependencies transitively, and into a component's children", async () => {
    const throughBackup = localStack();
    edit(throughBackup, "web-router-nginx", (r) => (r.dependsOn = ["web-backup"]));
    edit(throughBackup, "web-backup", (s) => (s.dependsOn = ["web-green-gate"]));
    assert.deepEqual(await checkStack(gateBeforeShift, throughBackup), []);

    const throughComponent = localStack();
    throughComponent.push({ type: "runbook:gates:HealthGates", name: "web-gates", props: {} });
    edit(throughComponent, "web-green-gate", (g) => (g.parent = "web-gates"));
    edit(throughComponent, "web-router-nginx", (r) => (r.dependsOn = ["web-gates"]));
    assert.deepEqual(await checkStack(gateBeforeShift, throughComponent), []);
  });

  it("does not count a gate that merely shares the router's parent", async () => {
    const stack = localStack();
    stack.push({ type: "runbook:service:BlueGreenService", name: "web", props: {} });
    edit(stack, "web-green-gate", (g) => (g.parent = "web"));
    edit(stack, "web-router-nginx", (r) => {
      r.parent = "web";
      r.dependsOn = [];
    });
    assert.equal((await checkStack(gateBeforeShift, stack)).length, 1);
  });

  it("on kubernetes, judges the weighted HTTPRoute, not a color's header route", async () => {
    assert.deepEqual(await checkStack(gateBeforeShift, k8sStack()), []);
    const stack = edit(k8sStack(), "web-router-route", (r) => (r.dependsOn = []));
    assert.deepEqual(await checkStack(gateBeforeShift, stack), [
      {
        message: `web-router-route shifts traffic for the promotion toward green v2.0.0 without waiting for a health gate for green run in this update (gates it depends on: none); ${TAIL}`,
        urn: urn("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "web-router-route"),
      },
    ]);
  });

  it("on kubernetes in service-selector mode, judges the Service marked as carrying the traffic, not the per-color ones", async () => {
    const record: Props = { ...promotion(), target: "kubernetes" };
    record.plan.next = { blue: 0, green: 100 };
    record.plan.previous = { blue: 100, green: 0 };
    const service = (name: string, metadataName: string, dependsOn: string[], role?: string): FakeResource => ({
      type: "kubernetes:core/v1:Service",
      name,
      props: { metadata: { name: metadataName, labels: { app: "web", ...(role ? { "deployment-runbook/role": role } : {}) } }, spec: { selector: { app: "web" } } },
      dependsOn,
    });
    const stack = k8sStack(record).filter((r) => !r.type.endsWith(":HTTPRoute"));
    edit(stack, "web-green-gate", (g) => (g.dependsOn = []));
    stack.push(service("web-blue-service", "web-blue", []), service("web-green-service", "web-green", []));
    stack.push(service("web-router-active", "web-active", ["web-green-gate"], "router-traffic"));
    assert.deepEqual(await checkStack(gateBeforeShift, stack), []);
    edit(stack, "web-router-active", (r) => (r.dependsOn = []));
    assert.deepEqual(
      (await checkStack(gateBeforeShift, stack)).map((v) => v.urn),
      [urn("kubernetes:core/v1:Service", "web-router-active")],
    );
  });

  it("refuses a promotion when no resource carries the traffic", async () => {
    const stack = localStack().filter((r) => r.name !== "web-router-nginx");
    assert.deepEqual(await checkStack(gateBeforeShift, stack), [
      {
        message:
          "promotion toward green v2.0.0 found no resource carrying the traffic split of service web on target local, so no gate can hold the shift back; register the service's router in this stack",
        urn: urn(DYNAMIC, "web-record"),
      },
    ]);
  });

  it("requires the gate on a first deployment unless requireForInitial is false", async () => {
    const r = promotion();
    r.plan = { kind: "initial", next: { blue: 0, green: 100 }, towards: "green" };
    const stack = edit(localStack(r), "web-router-nginx", (x) => (x.dependsOn = ["web-green-processes"]));
    assert.deepEqual(await checkStack(gateBeforeShift, stack), [
      {
        message: `web-router-nginx shifts traffic for the initial deployment of green v2.0.0 without waiting for a health gate for green run in this update (gates it depends on: none); ${TAIL}`,
        urn: ROUTER,
      },
    ]);
    assert.deepEqual(await checkStack(gateBeforeShift, stack, { requireForInitial: false }), []);
  });

  it("never blocks a rollback: moving back to blue needs no gate", async () => {
    const stack = edit(localStack(rollback()), "web-router-nginx", (x) => (x.dependsOn = []));
    assert.deepEqual(await checkStack(gateBeforeShift, stack), []);
  });

  it("passes a stack without a deployment record", async () => {
    assert.deepEqual(await checkStack(gateBeforeShift, localStack().filter((r) => r.name !== "web-record")), []);
  });
});
