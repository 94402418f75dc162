// The local target's weighted router: a real nginx splitting requests between blue and green.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { lazyProvider } from "../../dynamic/lazy-provider";
import * as paths from "./paths";
import { PKG, Weights } from "../../types";

export interface LocalRouterArgs {
  /** Stack name, part of the router's process name. */
  stack: string;
  /** Service name. */
  service: string;
  /** Port the router listens on, on 127.0.0.1. Defaults to 8080. */
  port?: number;
  /** Weights to apply. */
  weights: Weights;
  /** Instance ports of each color that runs. */
  upstreams: { blue?: pulumi.Input<number[]>; green?: pulumi.Input<number[]> };
  /**
   * Called after the backends are applied (every color reachable by header) and before the
   * weights; returns what the weights wait for. Defaults to nothing.
   */
  beforeWeights?: (reachable: pulumi.Resource[]) => pulumi.Resource[];
}

export function validateLocalRouterArgs(a: LocalRouterArgs): void {
  const { blue, green } = a.weights;
  if (!Number.isInteger(blue) || !Number.isInteger(green) || blue < 0 || green < 0 || blue + green !== 100) {
    throw new Error(`LocalRouter: weights must be integers from 0 to 100 summing to 100 (got blue ${blue}, green ${green})`);
  }
  if (blue > 0 && !a.upstreams.blue) throw new Error(`LocalRouter: weights.blue is ${blue} but blue has no environment`);
  if (green > 0 && !a.upstreams.green) throw new Error(`LocalRouter: weights.green is ${green} but green has no environment`);
  if (a.port !== undefined && (!Number.isInteger(a.port) || a.port < 1024 || a.port > 65535)) {
    throw new Error(`LocalRouter: port must be an integer from 1024 to 65535 (got ${a.port})`);
  }
}

/** One of the router's two files; `marker` tells policies which one carries the weights. */
class NginxFile extends pulumi.dynamic.Resource {
  declare readonly generation: pulumi.Output<string>;
  declare readonly weights: pulumi.Output<Weights>;
  constructor(name: string, exportName: string, props: Record<string, pulumi.Input<unknown>>, opts: pulumi.CustomResourceOptions) {
    super(lazyProvider(path.join(__dirname, "router-provider.js"), exportName), name, { ...props, generation: undefined }, opts);
  }
}

export class LocalRouter extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;
  readonly weights: pulumi.Output<Weights>;

  constructor(name: string, args: LocalRouterArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(`${PKG}:router:LocalRouter`, name, {}, opts);
    validateLocalRouterArgs(args);
    const port = args.port ?? 8080;
    const common = {
      stack: args.stack,
      service: args.service,
      port,
      upstreams: args.upstreams,
      nginxDir: paths.nginxDir(),
      supervisorConfig: paths.supervisorConfig(),
    };
    const backends = new NginxFile(`${name}-backends`, "localRouterBackendsProvider", { runbook: "router-backends", ...common }, { parent: this });
    const waitFor = args.beforeWeights ? args.beforeWeights([backends]) : [];
    const weights = new NginxFile(
      `${name}-weights`,
      "localRouterWeightsProvider",
      { runbook: "router", ...common, weights: args.weights },
      { parent: this, dependsOn: [backends, ...waitFor] },
    );
    this.weights = weights.weights;
    this.url = pulumi.output(`http://127.0.0.1:${port}`);
    this.registerOutputs({ url: this.url, weights: this.weights });
  }
}
