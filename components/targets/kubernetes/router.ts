// Where traffic is split on the kubernetes target.
// - gateway-api: one Gateway API HTTPRoute whose default rule has a backendRef per color carrying
//   the blue/green traffic. The `X-Runbook-Color` header rules live in each environment's preview
//   route (same gateway and hostname; a rule with a header match wins over this headerless one),
//   so a color is reachable by header before this route gives it weight.
// - service-selector: for clusters without Gateway API, one Service `<service>-active` whose
//   selector picks the color at 100%. It cannot split, so traffic other than 0/100 are refused.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE } from "../../config/stack-config";
import { ROLE_LABEL, ROLES } from "../../roles";
import { checkTraffic, Color, COLORS, PKG, Traffic } from "../../types";
import { serviceSelectorColor } from "./config";
import { gatewayParentRef, KubernetesGatewayRef, SERVICE_PORT } from "./environment";
import { KubernetesMaintenancePageArgs, kubernetesMaintenancePage, routeRules } from "./maintenance-page";

export type KubernetesRouterMode = "gateway-api" | "service-selector";

export interface KubernetesRouterArgs {
  /** Service name (`service.name`): the `app` label and the active Service's name prefix. */
  service: string;
  /** Traffic to apply. */
  traffic: Traffic;
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
  /** The gateway's address as clients reach it. Defaults to <scheme>://<gateway.hostname>. */
  url?: string;
  /** Port of the per-color Services. Defaults to 80. */
  servicePort?: number;
  /** While set, users get the maintenance page (gateway-api mode only). Defaults to none. */
  maintenance?: Omit<KubernetesMaintenancePageArgs, "service" | "namespace">;
}

/** Throws a message naming each bad field. Pure: tested without mocks. */
export function validateKubernetesRouterArgs(a: KubernetesRouterArgs): void {
  checkTraffic("KubernetesRouter", a.traffic);
  for (const c of COLORS) {
    if (a.traffic[c] > 0 && a.backends[c] === undefined) {
      throw new Error(`KubernetesRouter: traffic.${c} is ${a.traffic[c]} but ${c} has no environment (set ${CONFIG_NAMESPACE}:${c}.version)`);
    }
  }
  const mode = a.mode ?? "gateway-api";
  if (mode === "service-selector") {
    serviceSelectorColor(a.traffic);
  } else if (!a.gateway?.name || !a.gateway.hostname) {
    throw new Error(`KubernetesRouter: gateway.name and gateway.hostname are required in gateway-api mode (set ${CONFIG_NAMESPACE}:kubernetes.gatewayName and ${CONFIG_NAMESPACE}:kubernetes.hostname)`);
  }
  if (a.maintenance && mode !== "gateway-api") {
    throw new Error(`KubernetesRouter: maintenance needs gateway-api mode: an active Service cannot serve a page (set ${CONFIG_NAMESPACE}:maintenance.enabled to false, or ${CONFIG_NAMESPACE}:kubernetes.mode to "gateway-api")`);
  }
}

/**
 * The weighted backendRefs of the route's default rule: one per color that has an environment
 * (weight 0 keeps it attached but idle); none for a color without one, which never gets weight.
 */
export function weightedBackendRefs(
  traffic: Traffic,
  backends: Partial<Record<Color, pulumi.Input<string>>>,
  port: number = SERVICE_PORT,
): { name: pulumi.Input<string>; port: number; weight: number }[] {
  return COLORS.filter((c) => backends[c] !== undefined).map((c) => ({ name: backends[c]!, port, weight: traffic[c] }));
}

export class KubernetesRouter extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;
  readonly traffic: pulumi.Output<Traffic>;
  /** The weighted route (gateway-api mode). */
  readonly route?: k8s.apiextensions.CustomResource;
  /** The active Service (service-selector mode). */
  readonly activeService?: k8s.core.v1.Service;
  /** The maintenance page's Deployment, while maintenance is on. */
  readonly maintenancePage?: k8s.apps.v1.Deployment;

  constructor(name: string, args: KubernetesRouterArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(`${PKG}:kubernetes:KubernetesRouter`, name, {}, opts);
    validateKubernetesRouterArgs(args);
    const mode = args.mode ?? "gateway-api";
    const namespace = args.namespace ?? "default";
    // The resource that moves traffic depends on the backup and the gates itself, so a failed gate
    // leaves traffic as it was. The Node SDK already holds a component's children back until the
    // component's own dependencies are registered, but the engine records dependsOn only on the
    // component; on the child it is in the engine's graph too (deletes, --target, other SDKs).
    const waitFor: pulumi.CustomResourceOptions = { parent: this, dependsOn: opts.dependsOn };

    if (mode === "gateway-api") {
      const gateway = args.gateway!;
      // The page is ready before the route points at it (the provider waits for the Deployment).
      const page = args.maintenance ? kubernetesMaintenancePage(name, { ...args.maintenance, service: args.service, namespace }, waitFor) : undefined;
      this.maintenancePage = page?.deployment;
      this.route = new k8s.apiextensions.CustomResource(
        `${name}-route`,
        {
          apiVersion: "gateway.networking.k8s.io/v1",
          kind: "HTTPRoute",
          metadata: { namespace, labels: { app: args.service, [ROLE_LABEL]: ROLES.routerTraffic } },
          spec: {
            parentRefs: [gatewayParentRef(gateway)],
            hostnames: [gateway.hostname],
            // The page's name read through its Deployment's status: the route waits for the page to be ready.
            rules: routeRules(
              weightedBackendRefs(args.traffic, args.backends, args.servicePort ?? SERVICE_PORT),
              page && { serviceName: pulumi.all([page.serviceName, page.deployment.status]).apply(([n]) => n) },
            ),
          },
        },
        waitFor,
      );
      this.url = pulumi.output(args.url ?? `${args.scheme ?? "http"}://${gateway.hostname}`);
    } else {
      const active = serviceSelectorColor(args.traffic);
      this.activeService = new k8s.core.v1.Service(
        `${name}-active`,
        {
          metadata: { name: `${args.service}-active`, namespace, labels: { app: args.service, [ROLE_LABEL]: ROLES.routerTraffic } },
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
    this.traffic = pulumi.output({ blue: args.traffic.blue, green: args.traffic.green });
    this.registerOutputs({ url: this.url, traffic: this.traffic });
  }
}
