// Where traffic is split on the kubernetes target.
// - gateway-api: one Gateway API HTTPRoute whose default rule has a backendRef per color carrying
//   the blue/green weights. The `X-Runbook-Color` header rules live in each environment's preview
//   route (same gateway and hostname; a rule with a header match wins over this headerless one),
//   so a color is reachable by header before this route gives it weight.
// - service-selector: for clusters without Gateway API, one Service `<service>-active` whose
//   selector picks the color at 100%. It cannot split, so weights other than 0/100 are refused.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE } from "../../config/stack-config";
import { gatewayParentRef, KubernetesGatewayRef, SERVICE_PORT } from "./environment";
import { Color, COLORS, PKG, Weights } from "../../types";

export type KubernetesRouterMode = "gateway-api" | "service-selector";

export interface KubernetesRouterArgs {
  /** Service name (`service.name`): the `app` label and the active Service's name prefix. */
  service: string;
  /** Weights to apply. */
  weights: Weights;
  /** The per-color Service of each color that has an environment. */
  backends: Partial<Record<Color, pulumi.Input<string>>>;
  /** How traffic is switched. Defaults to "gateway-api". */
  mode?: KubernetesRouterMode;
  /** Namespace of the route or active Service. Defaults to "default". */
  namespace?: string;
  /** The gateway the route attaches to; required in gateway-api mode. Defaults to none. */
  gateway?: KubernetesGatewayRef;
  /** Scheme of the gateway's URL. Defaults to "http". */
  scheme?: "http" | "https";
  /** Port of the per-color Services. Defaults to 80. */
  servicePort?: number;
}

function checkWeights(w: Weights): void {
  if (!Number.isInteger(w.blue) || !Number.isInteger(w.green) || w.blue < 0 || w.green < 0 || w.blue + w.green !== 100) {
    throw new Error(`KubernetesRouter: weights must be integers from 0 to 100 summing to 100 (got blue ${w.blue}, green ${w.green})`);
  }
}

/**
 * The split service-selector mode can do: all traffic to one color. Throws naming the config keys
 * when asked for more. Pure; the kubernetes target also calls it before any resource exists.
 */
export function validateServiceSelectorWeights(weights: Weights): Color {
  checkWeights(weights);
  if (weights.green !== 0 && weights.green !== 100) {
    throw new Error(
      `${CONFIG_NAMESPACE}:traffic.green is ${weights.green}, but ${CONFIG_NAMESPACE}:kubernetes.mode "service-selector" ` +
        `can only send all traffic to one color: set ${CONFIG_NAMESPACE}:traffic.green to 0 or 100, ` +
        `or set ${CONFIG_NAMESPACE}:kubernetes.mode to "gateway-api" for a weighted split`,
    );
  }
  return weights.green === 100 ? "green" : "blue";
}

/** Throws a message naming each bad field. Pure: tested without mocks. */
export function validateKubernetesRouterArgs(a: KubernetesRouterArgs): void {
  checkWeights(a.weights);
  for (const c of COLORS) {
    if (a.weights[c] > 0 && a.backends[c] === undefined) {
      throw new Error(`KubernetesRouter: weights.${c} is ${a.weights[c]} but ${c} has no environment (set ${CONFIG_NAMESPACE}:${c}.version)`);
    }
  }
  const mode = a.mode ?? "gateway-api";
  if (mode === "service-selector") {
    validateServiceSelectorWeights(a.weights);
  } else if (!a.gateway?.name || !a.gateway.hostname) {
    throw new Error(`KubernetesRouter: gateway.name and gateway.hostname are required in gateway-api mode (set ${CONFIG_NAMESPACE}:kubernetes.gatewayName and ${CONFIG_NAMESPACE}:kubernetes.hostname)`);
  }
}

/**
 * The weighted backendRefs of the route's default rule: one per color that has an environment
 * (weight 0 keeps it attached but idle); none for a color without one, which never gets weight.
 */
export function weightedBackendRefs(
  weights: Weights,
  backends: Partial<Record<Color, pulumi.Input<string>>>,
  port: number = SERVICE_PORT,
): { name: pulumi.Input<string>; port: number; weight: number }[] {
  return COLORS.filter((c) => backends[c] !== undefined).map((c) => ({ name: backends[c]!, port, weight: weights[c] }));
}

export class KubernetesRouter extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;
  readonly weights: pulumi.Output<Weights>;
  /** The weighted route (gateway-api mode). */
  readonly route?: k8s.apiextensions.CustomResource;
  /** The active Service (service-selector mode). */
  readonly activeService?: k8s.core.v1.Service;

  constructor(name: string, args: KubernetesRouterArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(`${PKG}:router:KubernetesRouter`, name, {}, opts);
    validateKubernetesRouterArgs(args);
    const mode = args.mode ?? "gateway-api";
    const namespace = args.namespace ?? "default";
    // The resource that moves traffic depends on the snapshot and the gates itself, so a failed gate
    // leaves traffic as it was. The Node SDK already holds a component's children back until the
    // component's own dependencies are registered, but the engine records dependsOn only on the
    // component; on the child it is in the engine's graph too (deletes, --target, other SDKs).
    const waitFor: pulumi.CustomResourceOptions = { parent: this, dependsOn: opts.dependsOn };

    if (mode === "gateway-api") {
      const gateway = args.gateway!;
      this.route = new k8s.apiextensions.CustomResource(
        `${name}-route`,
        {
          apiVersion: "gateway.networking.k8s.io/v1",
          kind: "HTTPRoute",
          metadata: { namespace, labels: { app: args.service } },
          spec: {
            parentRefs: [gatewayParentRef(gateway)],
            hostnames: [gateway.hostname],
            rules: [{ backendRefs: weightedBackendRefs(args.weights, args.backends, args.servicePort ?? SERVICE_PORT) }],
          },
        },
        waitFor,
      );
      this.url = pulumi.output(`${args.scheme ?? "http"}://${gateway.hostname}`);
    } else {
      const active = validateServiceSelectorWeights(args.weights);
      this.activeService = new k8s.core.v1.Service(
        `${name}-active`,
        {
          metadata: { name: `${args.service}-active`, namespace, labels: { app: args.service } },
          spec: {
            type: "ClusterIP",
            selector: { app: args.service, color: active },
            ports: [{ name: "http", port: SERVICE_PORT, targetPort: "http" }],
          },
        },
        waitFor,
      );
      this.url = pulumi.interpolate`http://${this.activeService.metadata.name}.${namespace}.svc.cluster.local`;
    }
    this.weights = pulumi.output({ blue: args.weights.blue, green: args.weights.green });
    this.registerOutputs({ url: this.url, weights: this.weights });
  }
}
