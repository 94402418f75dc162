// One color of a blue/green service on the kubernetes target: a Deployment of one release, the
// color's own Service, a PodDisruptionBudget and, with Gateway API, the color's header route (the
// `X-Runbook-Color` header rule) so gates can test the color before it takes any traffic.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MAINTENANCE_PASS_PATHS } from "../../config/maintenance-config";
import { ROLE_LABEL, ROLES } from "../../roles";
import { Color, COLOR_HEADER, PKG, Release, replicasProblem } from "../../types";
import { STACK_LABEL } from "./labels";
import { ServedRelease } from "./served-release";

export { STACK_LABEL };

/** Port every per-color Service (and the active Service) listens on. */
export const SERVICE_PORT = 80;

/** Container resources of each pod. */
export interface KubernetesResources {
  /** CPU request in millicores. Defaults to 100. */
  cpuRequestMillicores?: number;
  /** CPU limit in millicores. Defaults to 500. */
  cpuLimitMillicores?: number;
  /** Memory request in MiB. Defaults to 128. */
  memoryRequestMiB?: number;
  /** Memory limit in MiB. Defaults to 256. */
  memoryLimitMiB?: number;
}

/** The Gateway the header route attaches to. */
export interface KubernetesGatewayRef {
  /** Gateway name. */
  name: string;
  /** Gateway namespace. Defaults to the route's namespace. */
  namespace?: string;
  /** Hostname the gateway serves the service at. */
  hostname: string;
}

/** The service's backing stores as the pods reach them. */
export interface KubernetesBacking {
  /** PostgreSQL URL given to the pods as DATABASE_URL (a secret). Defaults to none. */
  databaseUrl?: pulumi.Input<string>;
  /** Redis URL given to the pods as REDIS_URL. Defaults to none. */
  redisUrl?: pulumi.Input<string>;
}

export type ImagePullPolicy = "IfNotPresent" | "Always" | "Never";

export interface KubernetesEnvironmentArgs {
  /** The stack, a pod label (`deployment-runbook/stack`) the metrics are selected by. Defaults to none. */
  stack?: string;
  /** Service name (`service.name`): the `app` label and the prefix of the Kubernetes names. */
  service: string;
  /** The color this environment runs. */
  color: Color;
  /** The release: version, replicas and extra environment. */
  release: Release;
  /** Image repository without tag; the release version is the tag. No default: required. */
  image: string;
  /** Namespace of every object. Defaults to "default". */
  namespace?: string;
  /** Port the container listens on. Defaults to 8080. */
  containerPort?: number;
  /** How long a terminating pod keeps serving before SIGTERM (a preStop sleep). Defaults to 5. */
  preStopSeconds?: number;
  /** How long `up` waits for the pods to be ready before it fails. Defaults to 600 (the provider's own default). */
  readyTimeoutSeconds?: number;
  /** Defaults to "IfNotPresent"; "Never" for images imported into the node. */
  imagePullPolicy?: ImagePullPolicy;
  /** DATABASE_URL and REDIS_URL of the pods, kept in a Secret of the color. Defaults to none. */
  backing?: KubernetesBacking;
  /** Requests and limits of each pod. Defaults to 100m/500m CPU and 128/256 MiB memory. */
  resources?: KubernetesResources;
  /**
   * With Gateway API: the gateway the color's header route (header `X-Runbook-Color: <color>`)
   * attaches to. Defaults to none (service-selector mode has no header routing).
   */
  headerRouteGateway?: KubernetesGatewayRef;
  /**
   * With the header route: the gateway's address as this machine reaches it. The update then waits
   * until the color's requests through it come from this release only. Defaults to
   * http://<headerRouteGateway.hostname>.
   */
  gatewayUrl?: string;
}

const DNS_LABEL = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;

/** What the environment sets in every pod itself; a release may not override them. */
const RESERVED_ENV = ["RUNBOOK_VERSION", "RUNBOOK_COLOR", "PORT", "HOST", "DATABASE_URL", "REDIS_URL"];

/** Throws a message naming each bad field. Pure: tested without mocks. */
export function validateKubernetesEnvironmentArgs(a: KubernetesEnvironmentArgs): void {
  const where = `KubernetesEnvironment ${a.color}`;
  if (!DNS_LABEL.test(`${a.service}-${a.color}`) || a.service.length + a.color.length + 1 > 63) {
    throw new Error(`${where}: service "${a.service}" must make a DNS label with the color (lowercase letters, digits, dashes; at most ${62 - a.color.length} characters)`);
  }
  if (!a.image || /[@\s]/.test(a.image) || /:[^/]*$/.test(a.image)) {
    throw new Error(`${where}: image must be a repository without tag or digest, the release version is the tag (got ${JSON.stringify(a.image)})`);
  }
  const replicas = replicasProblem(a.release.replicas);
  if (replicas) throw new Error(`${where}: release.${replicas}`);
  const r = resolveResources(a.resources);
  if (r.cpuRequestMillicores > r.cpuLimitMillicores) {
    throw new Error(`${where}: resources.cpuRequestMillicores (${r.cpuRequestMillicores}) must not exceed resources.cpuLimitMillicores (${r.cpuLimitMillicores})`);
  }
  if (r.memoryRequestMiB > r.memoryLimitMiB) {
    throw new Error(`${where}: resources.memoryRequestMiB (${r.memoryRequestMiB}) must not exceed resources.memoryLimitMiB (${r.memoryLimitMiB})`);
  }
  for (const k of Object.keys(a.release.env)) {
    if (RESERVED_ENV.includes(k)) {
      throw new Error(`${where}: release.env must not set ${k} (the environment sets ${RESERVED_ENV.join(", ")})`);
    }
  }
  if (a.stack !== undefined && !/^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/.test(a.stack)) {
    throw new Error(`${where}: stack "${a.stack}" must be a Kubernetes label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)`);
  }
}

export function resolveResources(r: KubernetesResources = {}): Required<KubernetesResources> {
  return {
    cpuRequestMillicores: r.cpuRequestMillicores ?? 100,
    cpuLimitMillicores: r.cpuLimitMillicores ?? 500,
    memoryRequestMiB: r.memoryRequestMiB ?? 128,
    memoryLimitMiB: r.memoryLimitMiB ?? 256,
  };
}

/** The per-color Service's name: predictable, so in-cluster gates and the router can name it. */
export function colorServiceName(service: string, color: Color): string {
  return `${service}-${color}`;
}

/**
 * The PodDisruptionBudget's rule. At most one pod of a color is evicted at a time, so a drain
 * never takes a color below replicas - 1. With one replica that would allow evicting the only
 * pod, and a color at one replica may be serving 100% of traffic: we choose `maxUnavailable: 0`,
 * which makes `kubectl drain` wait (visibly, naming this PDB) rather than drop the color. The fix
 * is two or more replicas, which the example stacks use. (`minAvailable: 1` would block the
 * same way with one replica but lets a drain take all but one pod of a larger color at once.)
 */
export function disruptionBudget(replicas: number): { maxUnavailable: number } {
  return { maxUnavailable: replicas > 1 ? 1 : 0 };
}

export class KubernetesEnvironment extends pulumi.ComponentResource {
  readonly color: Color;
  readonly version: pulumi.Output<string>;
  readonly replicas: pulumi.Output<number>;
  /** The color's Service name, a backend of the router. */
  readonly serviceName: pulumi.Output<string>;
  /** The color's Service port. */
  readonly servicePort: number;
  readonly deployment: k8s.apps.v1.Deployment;
  readonly service: k8s.core.v1.Service;
  readonly podDisruptionBudget: k8s.policy.v1.PodDisruptionBudget;
  /** DATABASE_URL and REDIS_URL of the pods; undefined when neither is configured. */
  readonly backingSecret?: k8s.core.v1.Secret;
  /** The color's header route; undefined without Gateway API. */
  readonly headerRoute?: k8s.apiextensions.CustomResource;
  /** Waits for the gateway to serve this release alone; undefined without Gateway API. */
  readonly served?: ServedRelease;

  constructor(name: string, args: KubernetesEnvironmentArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(`${PKG}:kubernetes:KubernetesEnvironment`, name, {}, opts);
    validateKubernetesEnvironmentArgs(args);
    const { service, color, release } = args;
    const namespace = args.namespace ?? "default";
    const containerPort = args.containerPort ?? 8080;
    const r = resolveResources(args.resources);
    const preStop = args.preStopSeconds ?? 5;
    const selector = { app: service, color };
    const labels = { ...selector, version: release.version };
    const podLabels = args.stack === undefined ? labels : { ...labels, [STACK_LABEL]: args.stack };

    // The backing stores' URLs carry passwords: a Secret of the color, read into the pod's env.
    const backing = Object.entries({ DATABASE_URL: args.backing?.databaseUrl, REDIS_URL: args.backing?.redisUrl }).filter(
      (e): e is [string, pulumi.Input<string>] => e[1] !== undefined,
    );
    if (backing.length) {
      this.backingSecret = new k8s.core.v1.Secret(
        `${name}-backing`,
        { metadata: { namespace, labels: selector }, stringData: Object.fromEntries(backing.map(([k, v]) => [k, pulumi.secret(v)])) },
        { parent: this },
      );
    }
    const secretName = this.backingSecret?.metadata.name;

    this.deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: {
          namespace,
          labels: { ...labels, [ROLE_LABEL]: ROLES.environment },
          // The provider waits for the rollout to be ready; a release that never gets there fails the up.
          ...(args.readyTimeoutSeconds ? { annotations: { "pulumi.com/timeoutSeconds": String(args.readyTimeoutSeconds) } } : {}),
        },
        spec: {
          replicas: release.replicas,
          // The selector is immutable: app and color only, never the version.
          selector: { matchLabels: selector },
          // A new release in a color never lowers its ready capacity: one extra pod at a time.
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          template: {
            metadata: { labels: podLabels },
            spec: {
              // A terminating pod leaves the gateway's endpoints 0.5-1 s later on an idle machine,
              // several seconds on a busy one: the preStop sleep keeps it serving until then (it
              // then drains in-flight requests), so a rolling update drops nothing.
              terminationGracePeriodSeconds: preStop + 30,
              containers: [
                {
                  name: service,
                  image: `${args.image}:${release.version}`,
                  imagePullPolicy: args.imagePullPolicy ?? "IfNotPresent",
                  ports: [{ name: "http", containerPort }],
                  ...(preStop > 0 ? { lifecycle: { preStop: { sleep: { seconds: preStop } } } } : {}),
                  env: [
                    { name: "RUNBOOK_VERSION", value: release.version },
                    { name: "RUNBOOK_COLOR", value: color },
                    { name: "PORT", value: String(containerPort) },
                    { name: "HOST", value: "0.0.0.0" },
                    ...backing.map(([k]) => ({ name: k, valueFrom: { secretKeyRef: { name: secretName!, key: k } } })),
                    ...Object.entries(release.env).map(([k, v]) => ({ name: k, value: v })),
                  ],
                  resources: {
                    requests: { cpu: `${r.cpuRequestMillicores}m`, memory: `${r.memoryRequestMiB}Mi` },
                    limits: { cpu: `${r.cpuLimitMillicores}m`, memory: `${r.memoryLimitMiB}Mi` },
                  },
                  // A slow start is given a minute before liveness may restart the pod.
                  startupProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 2, failureThreshold: 30 },
                  readinessProbe: { httpGet: { path: "/readyz", port: "http" }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 },
                  livenessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
                },
              ],
            },
          },
        },
      },
      { parent: this },
    );

    this.service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: colorServiceName(service, color), namespace, labels: selector },
        spec: {
          type: "ClusterIP",
          selector,
          ports: [{ name: "http", port: SERVICE_PORT, targetPort: "http" }],
        },
      },
      { parent: this },
    );

    this.podDisruptionBudget = new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      {
        metadata: { namespace, labels: selector },
        spec: {
          ...disruptionBudget(release.replicas),
          selector: { matchLabels: selector },
          // A pod that is not ready (a crash-looping bad release) never blocks a drain.
          unhealthyPodEvictionPolicy: "AlwaysAllow",
        },
      },
      { parent: this },
    );

    if (args.headerRouteGateway) {
      // Lives with the environment, not the router: the router is updated only after the gates,
      // and the gates must reach a new color through the gateway on the very update that adds it.
      this.headerRoute = new k8s.apiextensions.CustomResource(
        `${name}-header`,
        {
          apiVersion: "gateway.networking.k8s.io/v1",
          kind: "HTTPRoute",
          metadata: { namespace, labels: { ...selector, [ROLE_LABEL]: ROLES.routerBackends } },
          spec: {
            parentRefs: [gatewayParentRef(args.headerRouteGateway)],
            hostnames: [args.headerRouteGateway.hostname],
            rules: [
              {
                // The exact paths outrank the weighted route's exact-path rules of maintenance
                // mode (maintenance-page.ts), which would otherwise win over a prefix match.
                matches: [
                  { path: { type: "PathPrefix", value: "/" }, headers: [{ type: "Exact", name: COLOR_HEADER, value: color }] },
                  ...MAINTENANCE_PASS_PATHS.map((value) => ({ path: { type: "Exact", value }, headers: [{ type: "Exact", name: COLOR_HEADER, value: color }] })),
                ],
                backendRefs: [{ name: this.service.metadata.name, port: SERVICE_PORT }],
              },
            ],
          },
        },
        { parent: this },
      );
      // Whatever follows (the gates, the weighted route) waits for this: no old pod left behind it.
      this.served = new ServedRelease(
        `${name}-served`,
        {
          service,
          color,
          version: release.version,
          replicas: release.replicas,
          url: args.gatewayUrl ?? `http://${args.headerRouteGateway.hostname}`,
          host: args.headerRouteGateway.hostname,
          timeoutSeconds: args.readyTimeoutSeconds ?? 600,
        },
        { parent: this, dependsOn: [this.deployment, this.service, this.headerRoute] },
      );
    }

    this.color = color;
    this.version = pulumi.output(release.version);
    this.replicas = this.deployment.spec.replicas;
    this.serviceName = this.service.metadata.name;
    this.servicePort = SERVICE_PORT;
    this.registerOutputs({ color, version: this.version, replicas: this.replicas, serviceName: this.serviceName });
  }
}

/** A Gateway API parentRef; the namespace only when set, so the route's own is the default. */
export function gatewayParentRef(g: { name: string; namespace?: string }): { group: string; kind: string; name: string; namespace?: string } {
  return { group: "gateway.networking.k8s.io", kind: "Gateway", name: g.name, ...(g.namespace ? { namespace: g.namespace } : {}) };
}
