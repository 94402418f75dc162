// The kubernetes target: per-color Deployments and Services, Gateway API HTTPRoute weights (or a
// Service selector switch), VolumeSnapshot backups, gates through the gateway with the header.
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, StackConfig } from "../../config/stack-config";
import { KubernetesSnapshot } from "./snapshot";
import { colorServiceName, KubernetesEnvironment, KubernetesGatewayRef } from "./environment";
import { KubernetesRouter, validateServiceSelectorWeights } from "./router";
import { Color, COLORS, ShiftPlan } from "../../types";
import { BlueGreenTarget, TargetContext } from "../target";

/**
 * Checks what the kubernetes target needs beyond the schema, naming the config keys. Pure: runs
 * before any resource is registered, so a bad stack stops `preview` with nothing changed.
 */
export function validateKubernetesTargetConfig(config: StackConfig, plan: ShiftPlan): void {
  const k = config.kubernetes;
  const key = (f: string) => `${CONFIG_NAMESPACE}:kubernetes.${f}`;
  const problems: string[] = [];
  if (!k.image) problems.push(`${key("image")}: is required on the kubernetes target (the image repository; each color's version is the tag)`);
  if (k.mode === "gateway-api" && !k.hostname) {
    problems.push(`${key("hostname")}: is required when ${key("mode")} is "gateway-api" (the hostname the gateway serves the service at)`);
  }
  if (k.cpuRequestMillicores > k.cpuLimitMillicores) {
    problems.push(`${key("cpuRequestMillicores")}: must not exceed ${key("cpuLimitMillicores")} (${k.cpuRequestMillicores} > ${k.cpuLimitMillicores})`);
  }
  if (k.memoryRequestMiB > k.memoryLimitMiB) {
    problems.push(`${key("memoryRequestMiB")}: must not exceed ${key("memoryLimitMiB")} (${k.memoryRequestMiB} > ${k.memoryLimitMiB})`);
  }
  if (problems.length) throw new Error(`invalid stack config for the kubernetes target:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  if (k.mode === "service-selector") validateServiceSelectorWeights(plan.next);
}

function gatewayOf(config: StackConfig): KubernetesGatewayRef | undefined {
  const k = config.kubernetes;
  if (k.mode !== "gateway-api") return undefined;
  return { name: k.gatewayName, namespace: k.gatewayNamespace, hostname: k.hostname! };
}

export function kubernetesTarget(ctx: TargetContext): BlueGreenTarget {
  const { config, plan } = ctx;
  validateKubernetesTargetConfig(config, plan);
  const k = config.kubernetes;
  const gateway = gatewayOf(config);
  return {
    name: "kubernetes",
    environment(name, args, opts) {
      return new KubernetesEnvironment(
        name,
        {
          service: args.service,
          color: args.color,
          release: args.release,
          image: k.image!,
          namespace: k.namespace,
          containerPort: k.containerPort,
          resources: {
            cpuRequestMillicores: k.cpuRequestMillicores,
            cpuLimitMillicores: k.cpuLimitMillicores,
            memoryRequestMiB: k.memoryRequestMiB,
            memoryLimitMiB: k.memoryLimitMiB,
          },
          previewGateway: gateway,
        },
        opts,
      );
    },
    router(name, args, opts) {
      const backends: Partial<Record<Color, KubernetesEnvironment["serviceName"]>> = {};
      for (const c of COLORS) {
        const env = args.environments[c];
        if (!env) continue;
        if (!(env instanceof KubernetesEnvironment)) throw new Error(`kubernetes target: the ${c} environment is not a KubernetesEnvironment`);
        backends[c] = env.serviceName;
      }
      // Every color is reachable by header once its environment exists (its preview route, or in
      // service-selector mode its own Service): the snapshot and the gates wait for that, and the
      // weights wait for them.
      const waitFor = args.beforeWeights(COLORS.flatMap((c) => args.environments[c] ?? []));
      return new KubernetesRouter(
        name,
        { service: args.service, weights: args.weights, backends, mode: k.mode, namespace: k.namespace, gateway, scheme: k.gatewayScheme },
        pulumi.mergeOptions(opts, { dependsOn: waitFor }),
      );
    },
    snapshot(name, args, opts) {
      return new KubernetesSnapshot(
        name,
        { service: args.service, trigger: args.trigger, claimName: k.databaseClaim, snapshotClass: k.snapshotClass, namespace: k.namespace },
        opts,
      );
    },
    gateEndpoint(service) {
      if (gateway) {
        // The environments' preview routes send X-Runbook-Color to that color at this hostname.
        return { baseUrl: `${k.gatewayScheme}://${gateway.hostname}`, metrics: "prometheus" };
      }
      // service-selector mode has no header routing: the gate talks to the color gaining traffic
      // through its own Service, in-cluster (the header is then merely ignored).
      const color = plan.towards ?? (plan.next.green > plan.next.blue ? "green" : "blue");
      return { baseUrl: `http://${colorServiceName(service, color)}.${k.namespace}.svc.cluster.local`, metrics: "prometheus" };
    },
  };
}
