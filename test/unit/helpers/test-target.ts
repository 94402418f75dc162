// A target that exists only in the tests, registered through the public registry API: proof that
// a new target is one folder plus one registration, and that the shared flow (BlueGreenService,
// gates, record) and the policy pack take it without a change anywhere else. Its parts are plain
// custom resources of an imaginary provider (`testonly:index:*`), which the mocks accept.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { CHECK_NAMES } from "../../../components/gates/gate-config";
import { ROLES } from "../../../components/roles";
import { markerReader } from "../../../components/targets/marker-reader";
import { registerTarget } from "../../../components/targets/registry";
import type { BlueGreenTarget, EnvironmentResource, SeenResource, TargetDefinition } from "../../../components/targets/target";
import { COLORS, type Color, type Traffic } from "../../../components/types";

export const TEST_TARGET = "testonly";

const sectionSchema = z
  .object({ endpoint: z.string().default("http://testonly.invalid") })
  .strict()
  .default({});
type Section = z.infer<typeof sectionSchema>;

/** Every object of this target carries its role, color and service in `meta`. */
interface Meta {
  role: string;
  service: string;
  color?: Color;
}

class Thing extends pulumi.CustomResource {
  constructor(kind: string, name: string, props: Record<string, pulumi.Input<unknown>> & { meta: Meta }, opts: pulumi.CustomResourceOptions) {
    super(`${TEST_TARGET}:index:${kind}`, name, props, opts);
  }
}

class Environment extends pulumi.ComponentResource {
  readonly color: Color;
  readonly version: pulumi.Output<string>;
  readonly replicas: pulumi.Output<number>;
  constructor(name: string, service: string, color: Color, version: string, replicas: number, opts: pulumi.ComponentResourceOptions) {
    super(`${TEST_TARGET}:index:Environment`, name, {}, opts);
    new Thing("Workload", `${name}-workload`, { version, replicas, meta: { role: ROLES.environment, service, color } }, { parent: this });
    this.color = color;
    this.version = pulumi.output(version);
    this.replicas = pulumi.output(replicas);
    this.registerOutputs({});
  }
}

class Router extends pulumi.ComponentResource {
  readonly url = pulumi.output("http://testonly.invalid");
  readonly traffic: pulumi.Output<Traffic>;
  constructor(name: string, service: string, traffic: Traffic, after: pulumi.Resource[], opts: pulumi.ComponentResourceOptions) {
    super(`${TEST_TARGET}:index:Router`, name, {}, opts);
    new Thing("Split", `${name}-split`, { traffic, meta: { role: ROLES.routerTraffic, service } }, { parent: this, dependsOn: after });
    this.traffic = pulumi.output(traffic);
    this.registerOutputs({});
  }
}

class Backup extends pulumi.ComponentResource {
  readonly backupId: pulumi.Output<string>;
  readonly takenAt: pulumi.Output<string>;
  readonly verified: pulumi.Output<boolean>;
  constructor(name: string, service: string, trigger: string, opts: pulumi.ComponentResourceOptions) {
    super(`${TEST_TARGET}:index:Backup`, name, {}, opts);
    const dump = new Thing("Dump", `${name}-dump`, { trigger, meta: { role: ROLES.backup, service }, takenAt: undefined, verified: undefined }, { parent: this });
    this.backupId = dump.id;
    this.takenAt = (dump as unknown as { takenAt: pulumi.Output<string> }).takenAt;
    this.verified = (dump as unknown as { verified: pulumi.Output<boolean> }).verified;
    this.registerOutputs({});
  }
}

function testTarget(section: Section): BlueGreenTarget {
  return {
    environment: (name, args, opts) => new Environment(name, args.service, args.color, args.release.version, args.release.replicas, opts),
    routerBackends: (name, args, opts) => ({
      reachable: COLORS.flatMap((c) =>
        args.environments[c] ? [new Thing("HeaderRoute", `${name}-${c}-header`, { meta: { role: ROLES.routerBackends, service: args.service, color: c } }, { ...opts, dependsOn: args.environments[c] as EnvironmentResource })] : [],
      ),
    }),
    routerTraffic: (name, args, opts) => new Router(name, args.service, args.traffic, args.after, opts),
    backup: (name, args, opts) => new Backup(name, args.service, args.trigger, opts),
    gateEndpoint: () => ({ baseUrl: section.endpoint }),
  };
}


export const testTargetDefinition: TargetDefinition<Section> = {
  name: TEST_TARGET,
  configSchema: sectionSchema,
  // Everything can run: the checks themselves never run under mocks.
  gateChecks: () => ({ runnable: [...CHECK_NAMES], missing: {} }),
  resources: markerReader(
    (r: SeenResource, key: string) => (r.type.startsWith(`${TEST_TARGET}:`) ? (r.props.meta as Record<string, string> | undefined)?.[key] : undefined),
    { role: "role", color: "color", service: "service" },
  ),
  create: async (section) => testTarget(section),
};

/**
 * Registers the test target; returns what removes it. Mocha's parallel workers run several test
 * files in one process, so a test that registers it must remove it when done.
 */
export function registerTestTarget(): () => void {
  return registerTarget(testTargetDefinition);
}
