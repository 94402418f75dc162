// The policy pack over what each target really registers: BlueGreenService runs under Pulumi mocks
// on every registered target (local, kubernetes, aws, and a target that exists only in the tests),
// for an initial release, a promotion, a rollback and a hold, and every policy of the pack judges the
// recorded resources. No false violations; and the violations a broken stack must get, with their
// exact messages, on every target alike.
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type * as ConfigModule from "../../../components/config/stack-config";
import type * as RegistryModule from "../../../components/targets/registry";
import type * as ServiceModule from "../../../components/service/blue-green-service";
import type * as PlanModule from "../../../components/shift/plan";
import { ROLE_LABEL, ROLE_PROPERTY, ROLE_TAG, ROLES } from "../../../components/roles";
import type { AppliedState } from "../../../components/shift/plan";
import type { Traffic } from "../../../components/types";
import { policies } from "../../../policies/all";
import { createRecorder, valueOf } from "../helpers/mock-recorder";
import { registerTestTarget, TEST_TARGET } from "../helpers/test-target";
import { checkResource, checkStack, FakeResource, FRIDAY_4PM_BERLIN, THURSDAY } from "./fixtures";

const TAKEN_AT = "2026-11-26T09:55:00Z"; // five minutes before THURSDAY, the policy clock

const recorder = createRecorder({
  target: "every",
  slowTypes: new Set(),
  // What each provider computes and the program reads back: generated names and ARNs, a backup's
  // time and verification, a load balancer's address.
  decorate(args, state) {
    const role = args.inputs[ROLE_PROPERTY] ?? args.inputs.meta?.role ?? args.inputs.metadata?.labels?.[ROLE_LABEL] ?? args.inputs.tags?.[ROLE_TAG];
    if (args.type.startsWith("kubernetes:")) state.metadata = { ...args.inputs.metadata, name: args.inputs.metadata?.name ?? `${args.name}-abcd1234` };
    if (args.type.startsWith("aws:")) {
      state.arn = `arn:aws:mock:eu-west-1:123456789012:${args.name}`;
      state.arnSuffix = args.type === "aws:lb/targetGroup:TargetGroup" ? `targetgroup/${args.name}/00112233aabbccdd` : `app/${args.name}/0123456789abcdef`;
      state.dnsName = `${args.name}.eu-west-1.elb.amazonaws.com`;
      state.tags = { ...args.inputs.tags, "runbook:taken-at": TAKEN_AT };
      state.status = "available";
    }
    if (args.type === "kubernetes:snapshot.storage.k8s.io/v1:VolumeSnapshot") state.status = { readyToUse: true, creationTime: TAKEN_AT };
    if (role === ROLES.backup) Object.assign(state, { backupId: `${args.name}-1`, takenAt: TAKEN_AT, verified: true });
    if (role === ROLES.environment && args.type.startsWith("pulumi-nodejs:")) state.ports = [18000];
  },
});
const { rec, mocks, Root, settle, reset } = recorder;

let config: typeof ConfigModule;
let registry: typeof RegistryModule;
let service: typeof ServiceModule;
let plan: typeof PlanModule;
let unregister: (() => void) | undefined;

const SECTIONS: Record<string, Record<string, unknown>> = {
  local: {},
  kubernetes: { image: "ghcr.io/acme/app", hostname: "app.example.com", prometheusUrl: "http://prometheus:9090" },
  aws: { image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app", vpcId: "vpc-1", subnetIds: ["subnet-a", "subnet-b"], region: "eu-west-1" },
  [TEST_TARGET]: {},
};

const T0 = "2026-11-26T08:00:00Z";
interface Scenario {
  kind: string;
  previous?: AppliedState;
  green: number;
  versions: { blue?: string; green?: string };
}
const SCENARIOS: Scenario[] = [
  { kind: "initial", green: 0, versions: { blue: "v1.4.0" } },
  {
    kind: "promote",
    previous: { traffic: { blue: 100, green: 0 }, versions: { blue: "v1.4.0" }, stableReleases: { blue: { version: "v1.4.0", since: T0 } } },
    green: 10,
    versions: { blue: "v1.4.0", green: "v1.5.0" },
  },
  {
    kind: "rollback",
    previous: { traffic: { blue: 50, green: 50 }, versions: { blue: "v1.4.0", green: "v1.5.0" }, stableReleases: { blue: { version: "v1.4.0", since: T0 } } },
    green: 0,
    versions: { blue: "v1.4.0", green: "v1.5.0" },
  },
  {
    kind: "hold",
    previous: { traffic: { blue: 90, green: 10 }, versions: { blue: "v1.4.0", green: "v1.5.0" }, stableReleases: { blue: { version: "v1.4.0", since: T0 } } },
    green: 10,
    versions: { blue: "v1.4.0", green: "v1.5.0" },
  },
];

/** Runs BlueGreenService on `target` for one scenario; returns what was registered, as the pack sees it. */
async function registered(target: string, s: Scenario): Promise<FakeResource[]> {
  reset();
  const cfg = config.parseStackConfig({
    target,
    blue: s.versions.blue ? { version: s.versions.blue } : {},
    green: s.versions.green ? { version: s.versions.green } : {},
    traffic: { green: s.green },
    [target]: SECTIONS[target],
  });
  const traffic: Traffic = config.configuredTraffic(cfg);
  const p = plan.planShift(s.previous, traffic, s.versions, T0);
  assert.equal(p.kind, s.kind);
  const { name, target: t } = await registry.createTarget({ config: cfg, plan: p });
  const root = new Root("root");
  new service.BlueGreenService(
    "svc",
    { target: t, targetName: name, config: cfg, plan: p, backupTrigger: plan.backupTrigger(p, s.versions, undefined, cfg.backup), project: "deployment-runbook", stack: "dev", recordDirectory: "/nonexistent/records" },
    { parent: root },
  );
  await settle();
  const nameOf = new Map(rec.constructed.map((c) => [c.resource, c.name]));
  const out: FakeResource[] = [];
  for (const c of rec.constructed) {
    const reg = rec.registered.find((r) => r.name === c.name && r.type === c.type);
    const deps = c.opts.dependsOn === undefined ? [] : await valueOf(pulumi.output(c.opts.dependsOn as pulumi.Input<pulumi.Input<pulumi.Resource>[]>));
    out.push({
      type: c.type,
      name: c.name,
      props: JSON.parse(JSON.stringify(reg?.state ?? {})),
      dependsOn: (Array.isArray(deps) ? deps : [deps]).map((d) => nameOf.get(d as pulumi.Resource)!),
      parent: c.opts.parent ? nameOf.get(c.opts.parent) : undefined,
    });
  }
  assert.equal(new Set(out.map((r) => r.name)).size, out.length, "resource names must be unique for the fixture");
  return out;
}

const POLICY_CONFIG: Record<string, object> = {
  "deployment-window": { now: THURSDAY },
  "backup-age": { now: THURSDAY },
  "stable-kept": { now: THURSDAY },
};

/** Every policy of the pack over the stack: `<policy>: <message>` for each violation. */
async function judge(resources: FakeResource[], overrides: Record<string, object> = {}): Promise<string[]> {
  const found: string[] = [];
  for (const policy of policies) {
    const cfg = { ...POLICY_CONFIG[policy.name], ...overrides[policy.name] };
    if ("validateStack" in policy) {
      for (const v of await checkStack(policy as StackValidationPolicy, resources, cfg)) found.push(`${policy.name}: ${v.message}`);
    } else {
      for (const r of resources) for (const m of await checkResource(policy as ResourceValidationPolicy, r, cfg)) found.push(`${policy.name}: ${m}`);
    }
  }
  return found;
}

const TRAFFIC_RESOURCE: Record<string, string> = { local: "svc-router-weights", kubernetes: "svc-router-route", aws: "svc-router-listener", [TEST_TARGET]: "svc-router-split" };

describe("the policy pack over what each target registers (contract)", function () {
  // Loading the cloud SDKs under mocks takes seconds on a busy machine.
  this.timeout(120_000);

  before(async () => {
    await pulumi.runtime.setMocks(mocks, "deployment-runbook", "dev", false);
    /* eslint-disable @typescript-eslint/no-require-imports */
    config = require("../../../components/config/stack-config");
    registry = require("../../../components/targets/registry");
    service = require("../../../components/service/blue-green-service");
    plan = require("../../../components/shift/plan");
    /* eslint-enable @typescript-eslint/no-require-imports */
    unregister = registerTestTarget();
  });
  after(() => unregister?.());

  it("the test-only target is registered through the public API beside the built-in ones", () => {
    assert.deepEqual(registry.targetNames(), ["local", "kubernetes", "aws", TEST_TARGET]);
  });

  for (const target of Object.keys(SECTIONS)) {
    describe(`${target} target`, () => {
      for (const s of SCENARIOS) {
        it(`${s.kind}: no policy reports anything`, async () => {
          assert.deepEqual(await judge(await registered(target, s)), []);
        });
      }

      it("promotion whose traffic resource does not wait for the gate: refused by gate-before-shift, naming it", async () => {
        const stack = await registered(target, SCENARIOS[1]);
        const split = stack.find((r) => r.name === TRAFFIC_RESOURCE[target]);
        assert.ok(split, `no ${TRAFFIC_RESOURCE[target]} among ${stack.map((r) => r.name).join(", ")}`);
        // The record waits for the gates too, so the split must lose both to lose every path to a gate.
        const waits = new Set(stack.filter((r) => r.props[ROLE_PROPERTY] === ROLES.healthGate || r.props[ROLE_PROPERTY] === ROLES.record).map((r) => r.name));
        split.dependsOn = (split.dependsOn ?? []).filter((d) => !waits.has(d));
        assert.deepEqual(await judge(stack), [
          `gate-before-shift: ${split.name} shifts traffic for the promotion toward green v1.5.0 without waiting for a health gate for green run in this update ` +
            "(gates it depends on: none); make it depend on the green health gate with run true, so a failed gate leaves traffic as it was",
        ]);
      });

      it("promotion on a Friday: refused by deployment-window only; the rollback is not", async () => {
        const berlin = { "deployment-window": { now: FRIDAY_4PM_BERLIN, timeZone: "Europe/Berlin" } };
        assert.deepEqual(await judge(await registered(target, SCENARIOS[1]), berlin), [
          "deployment-window: promotion toward green v1.5.0 on Fri 16:00 Europe/Berlin is outside the deployment window (Mon-Thu 00:00-24:00 Europe/Berlin); wait for the window or set `deployment-runbook:hotfix` true for a critical hotfix",
        ]);
        assert.deepEqual(await judge(await registered(target, SCENARIOS[2]), berlin), []);
      });
    });
  }
});
