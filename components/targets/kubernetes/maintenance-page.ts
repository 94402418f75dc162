// Maintenance on the kubernetes target. Gateway API has no fixed-response filter, so the page is a
// small backend of its own (sample-service/maintenance-page.ts, in the project's image): while
// `maintenance` is on, the weighted route's default rule points at it, and two exact-path rules
// keep /healthz and /readyz on the colors' weights. The colors' header routes carry matching
// exact-path rules with the header (environment.ts), which outrank these, so X-Runbook-Color
// requests, the gates' among them, still reach their color on every path.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MAINTENANCE_PASS_PATHS, MaintenancePage } from "../../config/maintenance-config";
import { ROLE_LABEL, ROLES } from "../../roles";
import { SERVICE_PORT } from "./environment";

/** Where the page server runs in the project's image. */
export const PAGE_SCRIPT = "/app/sample-service/maintenance-page.js";
const PAGE_PORT = 8080;
const READY_PORT = 8081;

export interface KubernetesMaintenancePageArgs extends MaintenancePage {
  /** Service name (`service.name`): the page's objects are `<service>-maintenance`. */
  service: string;
  /** The image (with tag) that holds the page server. */
  image: pulumi.Input<string>;
  /** How the kubelet gets the image. Defaults to "IfNotPresent". */
  imagePullPolicy?: string;
  /** Namespace of the page. Defaults to "default". */
  namespace?: string;
}

/** The page's Deployment and Service; `serviceName` is what the route's default rule points at. */
export function kubernetesMaintenancePage(name: string, a: KubernetesMaintenancePageArgs, opts: pulumi.CustomResourceOptions) {
  const namespace = a.namespace ?? "default";
  const selector = { app: a.service, [ROLE_LABEL]: ROLES.maintenancePage };
  const deployment = new k8s.apps.v1.Deployment(
    `${name}-maintenance`,
    {
      metadata: { namespace, labels: selector },
      spec: {
        // Two, so a node drain or a crash never leaves users a connection error instead of the page.
        replicas: 2,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: selector },
          spec: {
            // Turning maintenance off deletes the page after the route left it: the sleep keeps it
            // answering while the gateway still sends it the requests already routed.
            terminationGracePeriodSeconds: 15,
            containers: [
              {
                name: "maintenance-page",
                image: a.image,
                imagePullPolicy: a.imagePullPolicy ?? "IfNotPresent",
                args: [PAGE_SCRIPT],
                ports: [{ name: "http", containerPort: PAGE_PORT }, { name: "ready", containerPort: READY_PORT }],
                env: [
                  { name: "PORT", value: String(PAGE_PORT) },
                  { name: "READY_PORT", value: String(READY_PORT) },
                  { name: "MAINTENANCE_RETRY_AFTER", value: String(a.retryAfterSeconds) },
                  { name: "MAINTENANCE_MESSAGE", value: a.message },
                ],
                lifecycle: { preStop: { sleep: { seconds: 5 } } },
                readinessProbe: { httpGet: { path: "/", port: "ready" }, periodSeconds: 2, timeoutSeconds: 2 },
                livenessProbe: { httpGet: { path: "/", port: "ready" }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
                resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "200m", memory: "96Mi" } },
              },
            ],
          },
        },
      },
    },
    opts,
  );
  const service = new k8s.core.v1.Service(
    `${name}-maintenance`,
    {
      metadata: { namespace, labels: selector },
      spec: { type: "ClusterIP", selector, ports: [{ name: "http", port: SERVICE_PORT, targetPort: "http" }] },
    },
    opts,
  );
  const podDisruptionBudget = new k8s.policy.v1.PodDisruptionBudget(
    `${name}-maintenance`,
    { metadata: { namespace, labels: selector }, spec: { maxUnavailable: 1, selector: { matchLabels: selector }, unhealthyPodEvictionPolicy: "AlwaysAllow" } },
    opts,
  );
  return { deployment, service, podDisruptionBudget, serviceName: service.metadata.name };
}

type BackendRef = { name: pulumi.Input<string>; port: number; weight?: number };

/**
 * The weighted route's rules: the colors' weights alone while off; while on, the pass paths on the
 * weights and everything else to the page.
 */
export function routeRules(weighted: BackendRef[], page?: { serviceName: pulumi.Input<string> }) {
  if (!page) return [{ backendRefs: weighted }];
  return [
    { matches: MAINTENANCE_PASS_PATHS.map((value) => ({ path: { type: "Exact", value } })), backendRefs: weighted },
    { backendRefs: [{ name: page.serviceName, port: SERVICE_PORT }] },
  ];
}
