// Where traffic is split on the local target: a real nginx per service and stack. Its two steps are
// two files: the backends (upstreams and the X-Runbook-Color override), then the traffic split,
// which waits for what BlueGreenService passes (the backup, the gates, the record).
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { MaintenancePage } from "../../config/maintenance-config";
import { LazyDynamicResource } from "../../dynamic/lazy-provider";
import { ROLE_PROPERTY, ROLES } from "../../roles";
import { checkTraffic, OLD_PKG, PKG, Traffic } from "../../types";
import * as paths from "./paths";

export interface LocalRouterArgs {
  /** Stack name, part of the router's process name. */
  stack: string;
  /** Service name. */
  service: string;
  /** Port the router listens on, on 127.0.0.1. Defaults to 8080. */
  port?: number;
  /** Instance ports of each color that runs. */
  upstreams: { blue?: pulumi.Input<number[]>; green?: pulumi.Input<number[]> };
}

export function validateLocalRouterArgs(a: LocalRouterArgs): void {
  if (a.port !== undefined && (!Number.isInteger(a.port) || a.port < 1024 || a.port > 65535)) {
    throw new Error(`LocalRouter: port must be an integer from 1024 to 65535 (got ${a.port})`);
  }
}

/** Throws naming the color when the split gives traffic to a color without instances. */
export function validateLocalTraffic(traffic: Traffic, upstreams: LocalRouterArgs["upstreams"]): void {
  checkTraffic("LocalRouter", traffic);
  if (traffic.blue > 0 && !upstreams.blue) throw new Error(`LocalRouter: traffic.blue is ${traffic.blue} but blue has no environment`);
  if (traffic.green > 0 && !upstreams.green) throw new Error(`LocalRouter: traffic.green is ${traffic.green} but green has no environment`);
}

/** One of the router's two files. */
class NginxFile extends LazyDynamicResource {
  declare readonly generation: pulumi.Output<string>;
  declare readonly traffic: pulumi.Output<Traffic>;
  constructor(name: string, exportName: string, props: Record<string, pulumi.Input<unknown>>, opts: pulumi.CustomResourceOptions) {
    super({ module: path.join(__dirname, "router-provider.js"), export: exportName }, name, { ...props, generation: undefined }, opts);
  }
}

export class LocalRouter extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;
  /** The split now applied; set by `applyTraffic`. */
  traffic!: pulumi.Output<Traffic>;
  /** The backends file: once it exists, every color answers by header. */
  readonly reachable: pulumi.Resource[];
  private readonly name: string;
  private readonly common: Record<string, pulumi.Input<unknown>>;
  private readonly upstreams: LocalRouterArgs["upstreams"];

  constructor(name: string, args: LocalRouterArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(`${PKG}:local:LocalRouter`, name, {}, pulumi.mergeOptions(opts, { aliases: [{ type: `${OLD_PKG}:router:LocalRouter` }] }));
    validateLocalRouterArgs(args);
    const port = args.port ?? 8080;
    this.name = name;
    this.upstreams = args.upstreams;
    this.common = {
      stack: args.stack,
      service: args.service,
      port,
      upstreams: args.upstreams,
      nginxDir: paths.nginxDir(),
      supervisorConfig: paths.supervisorConfig(),
    };
    const backends = new NginxFile(`${name}-backends`, "localRouterBackendsProvider", { [ROLE_PROPERTY]: ROLES.routerBackends, ...this.common }, { parent: this });
    this.reachable = [backends];
    this.url = pulumi.output(`http://127.0.0.1:${port}`);
  }

  /** The second step: the split, written only after the backends and everything in `after`. */
  applyTraffic(traffic: Traffic, after: pulumi.Resource[], maintenance?: MaintenancePage): this {
    validateLocalTraffic(traffic, this.upstreams);
    // Named for the nginx file it writes (weights.conf), as before the split into two steps.
    const file = new NginxFile(
      `${this.name}-weights`,
      "localRouterWeightsProvider",
      // maintenance only while on: a stack that never used it keeps the inputs it had.
      { [ROLE_PROPERTY]: ROLES.routerTraffic, ...this.common, traffic, ...(maintenance ? { maintenance } : {}) },
      { parent: this, dependsOn: [...this.reachable, ...after] },
    );
    this.traffic = file.traffic;
    this.registerOutputs({ url: this.url, traffic: this.traffic });
    return this;
  }
}
