// Pulumi mocks that record, shared by the unit tests of the targets: no cluster or cloud account
// is reachable there. The mocks record every resource the program registers, in order, and fail on
// any provider call (invoke) nobody mocked. A transformation on the test's root component records
// each resource's options (dependsOn, retainOnDelete, protect, ignoreChanges), which the mocks
// never see.
//
// Loading this module loads no component: a test passes `mocks` to pulumi.runtime.setMocks first
// and only then requires the code under test, which must see the mocks when it is loaded (the
// components assertPromotionOrder needs are required when it runs, inside a test).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type * as ConfigModule from "../../../components/config/stack-config";
import type { BlueGreenTarget, EnvironmentResource, BackupResource } from "../../../components/targets/target";
import { PKG } from "../../../components/types";
import type { Color, ShiftPlan, Traffic } from "../../../components/types";

/** A registration the mock engine received. */
export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** What the mock engine answered: the inputs and what `decorate` added. */
  state: Record<string, unknown>;
  custom: boolean;
}

/** A resource constructed below the test's root, with the options the mocks cannot see. */
export interface Constructed {
  type: string;
  name: string;
  opts: pulumi.ResourceOptions;
  resource: pulumi.Resource;
}

/** What a target's test tells the shared mocks. */
export interface RecorderOptions {
  /** The target under test, named in the error of an unmocked provider call. */
  target: string;
  /** Resource types whose registration the mocks make slow, to show what waits for them. */
  slowTypes: ReadonlySet<string>;
  /**
   * Adds to `state` (a copy of the inputs) the outputs the real provider would compute, which the
   * code under test reads back.
   */
  decorate: (args: pulumi.runtime.MockResourceArgs, state: Record<string, unknown>) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The value of an output, once the (mock) engine resolves it. */
export function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}

/** The targets read only `next` and `towards` of the plan. */
export function planFor(next: Traffic, towards?: Color): ShiftPlan {
  const p: Pick<ShiftPlan, "kind" | "next" | "towards"> = { kind: "promote", next, towards };
  return p as ShiftPlan;
}

/**
 * An example stack file of stacks/, as the engine hands it to the program. `config` is passed in
 * because the test loads that module only after setMocks.
 */
export function exampleStack(config: typeof ConfigModule, file: string): ConfigModule.StackConfig {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const yaml: { load(text: string): unknown } = require("js-yaml"); // a dependency of @pulumi/pulumi
  // Compiled to bin/test/unit/helpers/: four levels up is the repository.
  const doc = yaml.load(fs.readFileSync(path.resolve(__dirname, "..", "..", "..", "..", "stacks", file), "utf8")) as { config: Record<string, unknown> };
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc.config)) flat[k] = typeof v === "string" ? v : JSON.stringify(v);
  return config.parseStackConfig(config.nestConfig(flat));
}

/**
 * How long a target test's `before` hook may take: setMocks, loading the target's code (and with
 * it @pulumi/aws or @pulumi/kubernetes) and startClosureSerializer take about a second idle and
 * have taken over 2 s on a loaded machine.
 */
export const LOAD_TIMEOUT_MS = 120_000;

/**
 * Pays the closure serializer's one-time start. The first dynamic resource a process registers
 * (the gate's check, the deployment record) serializes its provider, and the serializer's first
 * call opens an inspector session that goes through every script loaded so far: with @pulumi/aws
 * loaded that took 0.8 s idle and 1.5 s on a busy machine, charged to whichever test happened to
 * register one first. Call it in `before`, after the code under test is loaded.
 */
export async function startClosureSerializer(): Promise<void> {
  await pulumi.runtime.serializeFunction(() => undefined);
}

/** Stands in for a health gate: a resource the router must wait for. */
class Gate extends pulumi.CustomResource {
  constructor(name: string, opts: pulumi.CustomResourceOptions) {
    super("runbook:test:Gate", name, {}, opts);
  }
}

/**
 * Fresh recorder state, the mocks that fill it and the helpers that read it. Each test file makes
 * its own, so the files share no state when mocha runs them in one worker.
 */
export function createRecorder(options: RecorderOptions) {
  const rec = {
    registered: [] as Registered[],
    constructed: [] as Constructed[],
    /** "start:<name>" when the engine gets a registration, "done:<name>" when it completes. */
    events: [] as string[],
    unmockedCalls: [] as string[],
  };

  const mocks: pulumi.runtime.Mocks = {
    async newResource(args) {
      rec.events.push(`start:${args.name}`);
      const state: Record<string, unknown> = { ...args.inputs };
      rec.registered.push({ type: args.type, name: args.name, inputs: args.inputs, state, custom: args.custom ?? false });
      if (options.slowTypes.has(args.type)) await sleep(40);
      options.decorate(args, state);
      rec.events.push(`done:${args.name}`);
      return { id: `${args.name}-id`, state };
    },
    call(args) {
      rec.unmockedCalls.push(args.token);
      throw new Error(`unmocked call ${args.token}: the ${options.target} target must not invoke provider functions`);
    },
  };

  const recordOptions: pulumi.ResourceTransformation = (a) => {
    rec.constructed.push({ type: a.type, name: a.name, opts: a.opts, resource: a.resource });
    return undefined;
  };

  /** The test's root component: records the options of every resource below it. */
  class Root extends pulumi.ComponentResource {
    constructor(name: string) {
      super("runbook:test:Root", name, {}, { transformations: [recordOptions] });
    }
  }

  /** Waits until every constructed resource is registered with the (mock) engine. */
  async function settle(): Promise<void> {
    await Promise.all(rec.constructed.map((c) => valueOf(c.resource.urn)));
  }

  /** Forgets everything recorded, before each test. */
  function reset(): void {
    rec.registered = [];
    rec.constructed = [];
    rec.events = [];
    rec.unmockedCalls = [];
  }

  const customs = () => rec.registered.filter((r) => r.custom).map((r) => `${r.type}::${r.name}`).sort();
  const components = () => rec.registered.filter((r) => !r.custom).map((r) => `${r.type}::${r.name}`).sort();
  function one(type: string, name: string): Registered {
    const found = rec.registered.filter((r) => r.type === type && r.name === name);
    assert.equal(found.length, 1, `expected one ${type} ${name}, found ${found.length} among\n  ${customs().join("\n  ")}`);
    return found[0];
  }
  function optionsOf(name: string): pulumi.ResourceOptions {
    const found = rec.constructed.filter((c) => c.name === name);
    assert.equal(found.length, 1, `expected one constructed ${name}`);
    return found[0].opts;
  }
  function nameOf(r: pulumi.Resource): string {
    const found = rec.constructed.find((c) => c.resource === r);
    assert.ok(found, "dependsOn names a resource this test did not construct");
    return found.name;
  }
  async function dependsOnNames(name: string): Promise<string[]> {
    const d = optionsOf(name).dependsOn;
    const list = d === undefined ? [] : await valueOf(pulumi.output(d as pulumi.Input<pulumi.Input<pulumi.Resource>[]>));
    return (Array.isArray(list) ? list : [list]).map((r) => nameOf(r as pulumi.Resource)).sort();
  }

  /** Every recorded resource below `r` in the parent tree. */
  function descendantsOf(r: pulumi.Resource): Constructed[] {
    const below = (p: pulumi.Resource): Constructed[] =>
      rec.constructed.filter((c) => c.opts.parent === p).flatMap((c) => [c, ...below(c.resource)]);
    return below(r);
  }

  /**
   * Drives a target the way BlueGreenService does, under a root that records options: the
   * environments of the colors with a version, the router's backends, then the backup and a gate
   * once every color is reachable by header, then the router's traffic after both. `onReady` runs
   * right after the backends, for what a target's test reads at that point.
   */
  async function driveTarget(t: BlueGreenTarget, cfg: ConfigModule.StackConfig, traffic: Traffic, onReady?: (ready: pulumi.Resource[]) => void) {
    const service = cfg.service.name;
    const root = new Root("root");
    const environments: Partial<Record<Color, EnvironmentResource>> = {};
    for (const color of ["blue", "green"] as const) {
      const r = cfg[color];
      if (!r.version) continue;
      environments[color] = t.environment(`svc-${color}`, { service, color, release: { version: r.version, replicas: r.replicas, env: r.env } }, { parent: root });
    }
    const backends = t.routerBackends("svc-router", { service, environments }, { parent: root });
    const reachable = backends.reachable;
    onReady?.(reachable);
    const backup: BackupResource = t.backup("svc-backup", { service, trigger: "green v1.5.0" }, { parent: root, dependsOn: reachable });
    const gate = new Gate("svc-gate", { parent: root, dependsOn: [...reachable, backup] });
    const maintenance = cfg.maintenance.enabled ? { retryAfterSeconds: cfg.maintenance.retryAfterSeconds, message: cfg.maintenance.message } : undefined;
    const r = t.routerTraffic("svc-router", { service, traffic, maintenance, environments, backends, after: [backup, gate] }, { parent: root });
    await settle();
    return { router: r, backup, reachable, environments, url: await valueOf(r.url), traffic: await valueOf(r.traffic) };
  }

  /**
   * Asserts that driveTarget's backup (and so its gate) started only once each running color was
   * reachable by header: its header route was done.
   */
  function assertBackupAfterPreviews(reachable: pulumi.Resource[], colors: Color[]): void {
    assert.deepEqual(reachable.map(nameOf).sort(), colors.map((col) => `svc-${col}`));
    for (const col of colors) {
      assert.ok(
        rec.events.indexOf("start:svc-backup-green-v1-5-0") > rec.events.indexOf(`done:svc-${col}-header`),
        `backup taken before ${col} was reachable by header: ${rec.events.join(", ")}`,
      );
    }
  }

  /**
   * Asserts that `trafficResource`, the resource that moves traffic, depends on driveTarget's
   * backup and gate and was registered only after both finished. `label` names it in the messages.
   */
  async function assertTrafficAfterBackupAndGate(trafficResource: string, label: string): Promise<void> {
    assert.deepEqual(await dependsOnNames(trafficResource), ["svc-backup", "svc-gate"]);
    const start = rec.events.indexOf(`start:${trafficResource}`);
    assert.ok(start > rec.events.indexOf("done:svc-gate"), `${label} registered before the gate finished: ${rec.events.join(", ")}`);
    assert.ok(start > rec.events.indexOf("done:svc-backup-green-v1-5-0"), `${label} registered before the backup finished: ${rec.events.join(", ")}`);
  }

  /**
   * Promotes green 0% -> 10% through BlueGreenService on the target `makeTarget` builds, and asserts
   * the whole program's order: the backup, then the gates, then `trafficResource`, the resource
   * that moves traffic. The mocks cannot see dependsOn, so its recorded options name what it waits
   * for, and the registration order shows that it really waited.
   */
  async function assertPromotionOrder(o: {
    cfg: ConfigModule.StackConfig;
    stack: string;
    makeTarget: (plan: ShiftPlan) => BlueGreenTarget;
    backupType: string;
    trafficResource: string;
  }): Promise<void> {
    // Required here, in a test, so after the test file's setMocks.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { BlueGreenService } = require("../../../components/service/blue-green-service");
    const { planShift } = require("../../../components/shift/plan");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const plan: ShiftPlan = planShift(
      { traffic: { blue: 100, green: 0 }, versions: { blue: "v1.4.0" }, stableReleases: { blue: { version: "v1.4.0", since: "2025-01-01T00:00:00Z" } } },
      { blue: 90, green: 10 },
      { blue: "v1.4.0", green: "v1.5.0" },
    );
    assert.equal(plan.kind, "promote");
    const root = new Root("root");
    const svc: pulumi.Resource = new BlueGreenService(
      "svc",
      { target: o.makeTarget(plan), targetName: o.cfg.target, config: o.cfg, plan, backupTrigger: "green:v2.0.0:g0", project: "deployment-runbook", stack: o.stack, recordDirectory: "/nonexistent/records" },
      { parent: root },
    );
    await settle();

    const children = rec.constructed.filter((c) => c.opts.parent === svc);
    const backups = children.filter((c) => c.type === o.backupType);
    const gates = children.filter((c) => c.type === `${PKG}:gates:HealthGate`);
    assert.equal(backups.length, 1, `BlueGreenService must take one backup before moving traffic; it created ${children.map((c) => c.type).join(", ")}`);
    assert.ok(gates.length >= 1, `a promotion must be gated; BlueGreenService created ${children.map((c) => c.type).join(", ")}`);

    const w = o.trafficResource;
    const deps = await dependsOnNames(w);
    for (const r of backups) assert.ok(deps.includes(r.name), `${w} must depend on ${r.name} (it depends on ${deps.join(", ")})`);
    // A gate is a component; the split waits for the check resource inside it.
    for (const g of gates) assert.ok(deps.includes(`${g.name}-check`), `${w} must depend on ${g.name}-check (it depends on ${deps.join(", ")})`);
    const start = rec.events.indexOf(`start:${w}`);
    assert.ok(start >= 0, "the traffic resource was never registered");
    for (const r of [...backups, ...gates].flatMap((c) => [c, ...descendantsOf(c.resource)])) {
      const done = rec.events.indexOf(`done:${r.name}`);
      assert.ok(done >= 0 && done < start, `${w} registered before ${r.name} finished: ${rec.events.join(", ")}`);
    }
  }

  const recording = { rec, mocks, Root, settle, reset, customs, components, one, optionsOf, nameOf, dependsOnNames, descendantsOf };
  return { ...recording, driveTarget, assertBackupAfterPreviews, assertTrafficAfterBackupAndGate, assertPromotionOrder };
}
