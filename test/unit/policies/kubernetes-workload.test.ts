import * as assert from "node:assert/strict";
import { kubernetesWorkload, selects } from "../../../policies/kubernetes-workload";
import { checkStack, FakeResource, k8sDeployment, k8sStack, promotion, Props, rollback, UNKNOWN_VALUE, urn } from "./fixtures";

const GREEN = urn("kubernetes:apps/v1:Deployment", "web-green-deployment");

/** The kubernetes stack of `record`, with one change to the green Deployment's container. */
function withGreen(change: (container: Props, deployment: FakeResource) => void, record: Props = { ...promotion(), target: "kubernetes" }) {
  const stack = k8sStack(record);
  const green = stack.find((r) => r.name === "web-green-deployment")!;
  change(green.props.spec.template.spec.containers[0], green);
  return stack;
}

describe("kubernetes-workload", () => {
  it("passes Deployments with probes, requests and a disruption budget", async () => {
    assert.deepEqual(await checkStack(kubernetesWorkload, k8sStack()), []);
  });

  it("refuses a container without a readinessProbe", async () => {
    const stack = withGreen((c) => delete c.readinessProbe);
    assert.deepEqual(await checkStack(kubernetesWorkload, stack), [
      {
        message: "Deployment web-green-deployment container web has no readinessProbe; add one (for example an httpGet of /readyz) so a pod takes traffic only once it is ready",
        urn: GREEN,
      },
    ]);
  });

  it("refuses a container without a livenessProbe", async () => {
    const stack = withGreen((c) => delete c.livenessProbe);
    assert.deepEqual(await checkStack(kubernetesWorkload, stack), [
      { message: "Deployment web-green-deployment container web has no livenessProbe; add one (for example an httpGet of /healthz) so a hung pod is restarted", urn: GREEN },
    ]);
  });

  it("refuses a container without resource requests", async () => {
    const stack = withGreen((c) => delete c.resources.requests);
    assert.deepEqual(await checkStack(kubernetesWorkload, stack), [
      {
        message:
          "Deployment web-green-deployment container web has no resources.requests.cpu or resources.requests.memory; set both so the scheduler places the pod on a node with room for it",
        urn: GREEN,
      },
    ]);
  });

  it("refuses a container without a memory request", async () => {
    const stack = withGreen((c) => delete c.resources.requests.memory);
    assert.deepEqual(await checkStack(kubernetesWorkload, stack), [
      { message: "Deployment web-green-deployment container web has no resources.requests.memory; set it so the scheduler places the pod on a node with room for it", urn: GREEN },
    ]);
  });

  it("refuses a Deployment that no PodDisruptionBudget selects", async () => {
    const expected = [
      {
        message:
          "Deployment web-green-deployment has no PodDisruptionBudget in the stack selecting its pods (app=web, color=green, version=v2.0.0) in namespace default; " +
          "add one whose spec.selector.matchLabels match these labels, so a node drain cannot take the color down",
        urn: GREEN,
      },
    ];
    const missing = k8sStack().filter((r) => r.name !== "web-green-pdb");
    assert.deepEqual(await checkStack(kubernetesWorkload, missing), expected);

    const otherNamespace = k8sStack();
    otherNamespace.find((r) => r.name === "web-green-pdb")!.props.metadata.namespace = "staging";
    assert.deepEqual(await checkStack(kubernetesWorkload, otherNamespace), expected);

    const otherColor = k8sStack();
    otherColor.find((r) => r.name === "web-green-pdb")!.props.spec.selector.matchLabels.color = "blue";
    assert.deepEqual(await checkStack(kubernetesWorkload, otherColor), expected);
  });

  it("matches budgets by matchExpressions too", () => {
    const labels = { app: "web", color: "green" };
    assert.equal(selects({ matchExpressions: [{ key: "color", operator: "In", values: ["blue", "green"] }] }, labels), true);
    assert.equal(selects({ matchExpressions: [{ key: "color", operator: "NotIn", values: ["green"] }] }, labels), false);
    assert.equal(selects({ matchLabels: { app: "web" }, matchExpressions: [{ key: "canary", operator: "DoesNotExist" }] }, labels), true);
    assert.equal(selects({ matchExpressions: [{ key: "constructor", operator: "Exists" }] }, labels), false);
    assert.equal(selects({}, labels), true); // policy/v1: an empty selector selects every pod
    assert.equal(selects(undefined, labels), false);
  });

  it("turns each check off with its option", async () => {
    const bare = withGreen((c) => {
      delete c.readinessProbe;
      delete c.livenessProbe;
      delete c.resources;
    }).filter((r) => r.name !== "web-green-pdb");
    assert.equal((await checkStack(kubernetesWorkload, bare)).length, 4);
    const off = { requireReadinessProbe: false, requireLivenessProbe: false, requireResourceRequests: false, requireDisruptionBudget: false };
    assert.deepEqual(await checkStack(kubernetesWorkload, bare, off), []);
  });

  it("takes an unknown value during preview as given", async () => {
    const stack = withGreen((c) => (c.readinessProbe = UNKNOWN_VALUE));
    assert.deepEqual(await checkStack(kubernetesWorkload, stack), []);
  });

  it("never blocks a rollback or a hold, even for a Deployment of another app in the stack", async () => {
    const record: Props = { ...rollback(), target: "kubernetes" };
    const database = k8sDeployment("blue", "16.4");
    database.name = "postgres";
    database.props.metadata.labels = database.props.spec.template.metadata.labels = { app: "postgres" };
    delete database.props.spec.template.spec.containers[0].readinessProbe;
    const stack = [...withGreen((c) => delete c.readinessProbe, record), database];
    assert.deepEqual(await checkStack(kubernetesWorkload, stack), []);
    record.plan.kind = "hold";
    assert.deepEqual(await checkStack(kubernetesWorkload, stack), []);
    // The same stack during a promotion is judged (so the waiver is what let it through).
    const promoting = [...withGreen((c) => delete c.readinessProbe), database];
    assert.equal((await checkStack(kubernetesWorkload, promoting)).length, 3);
  });

  it("judges every Deployment of a stack without a deployment record", async () => {
    const stack = withGreen((c) => delete c.livenessProbe).filter((r) => r.name !== "web-record");
    assert.equal((await checkStack(kubernetesWorkload, stack)).length, 1);
  });
});
