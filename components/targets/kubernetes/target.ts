// The kubernetes target's parts for one update. Each color's header route lives with its
// environment (the router's first step then has nothing to create: once the environments exist,
// every color answers by header); the weighted HTTPRoute, or the active Service, is the second.
import * as pulumi from "@pulumi/pulumi";
import { prometheusMetrics } from "../../gates/prometheus-spec";
import { Color, COLORS } from "../../types";
import type { BlueGreenTarget, GateEndpoint, TargetContext } from "../target";
import { KubernetesBackup, KubernetesDumpBackup, kubernetesBackupsDir } from "./backup";
import type { KubernetesConfig } from "./config";
import { colorServiceName, KubernetesEnvironment, KubernetesGatewayRef } from "./environment";
import { KubernetesRouter } from "./router";

function gatewayOf(k: KubernetesConfig): KubernetesGatewayRef | undefined {
  if (k.mode !== "gateway-api") return undefined;
  return { name: k.gatewayName, namespace: k.gatewayNamespace, hostname: k.hostname! };
}

export function kubernetesTarget(k: KubernetesConfig, ctx: TargetContext): BlueGreenTarget {
  const { plan } = ctx;
  const stack = pulumi.getStack();
  const gateway = gatewayOf(k);
  return {
    environment(name, args, opts) {
      return new KubernetesEnvironment(
        name,
        {
          stack,
          service: args.service,
          color: args.color,
          release: args.release,
          image: k.image!,
          imagePullPolicy: k.imagePullPolicy,
          readyTimeoutSeconds: k.readyTimeoutSeconds,
          preStopSeconds: k.preStopSeconds,
          namespace: k.namespace,
          containerPort: k.containerPort,
          backing: { databaseUrl: k.podDatabaseUrl, redisUrl: k.podRedisUrl },
          resources: {
            cpuRequestMillicores: k.cpuRequestMillicores,
            cpuLimitMillicores: k.cpuLimitMillicores,
            memoryRequestMiB: k.memoryRequestMiB,
            memoryLimitMiB: k.memoryLimitMiB,
          },
          headerRouteGateway: gateway,
          gatewayUrl: gateway ? (k.gatewayUrl ?? `${k.gatewayScheme}://${gateway.hostname}`) : undefined,
        },
        opts,
      );
    },
    routerBackends(_name, args) {
      return { reachable: COLORS.flatMap((c) => args.environments[c] ?? []) };
    },
    routerTraffic(name, args, opts) {
      const backends: Partial<Record<Color, pulumi.Output<string>>> = {};
      const versions: Partial<Record<Color, pulumi.Output<string>>> = {};
      for (const c of COLORS) {
        const env = args.environments[c];
        if (!env) continue;
        if (!(env instanceof KubernetesEnvironment)) throw new Error(`kubernetes target: the ${c} environment is not a KubernetesEnvironment`);
        backends[c] = env.serviceName;
        versions[c] = env.version;
      }
      // The page comes from the image users are served now: the color with the most traffic.
      const serving = COLORS.filter((c) => versions[c]).sort((a, b) => args.traffic[b] - args.traffic[a])[0];
      const maintenance = args.maintenance && {
        ...args.maintenance,
        image: k.maintenancePageImage ?? pulumi.interpolate`${k.image}:${versions[serving]!}`,
        imagePullPolicy: k.imagePullPolicy,
      };
      return new KubernetesRouter(
        name,
        { service: args.service, traffic: args.traffic, backends, mode: k.mode, namespace: k.namespace, gateway, scheme: k.gatewayScheme, url: k.gatewayUrl, maintenance },
        pulumi.mergeOptions(opts, { dependsOn: args.after }),
      );
    },
    backup(name, args, opts) {
      if (k.backupMode === "pg-dump") {
        return new KubernetesDumpBackup(
          name,
          { stack, service: args.service, trigger: args.trigger, databaseUrl: k.databaseUrl!, directory: kubernetesBackupsDir(stack, args.service) },
          opts,
        );
      }
      return new KubernetesBackup(
        name,
        { service: args.service, trigger: args.trigger, claimName: k.databaseClaim, snapshotClass: k.snapshotClass, namespace: k.namespace },
        opts,
      );
    },
    gateEndpoint(service) {
      const endpoint: Omit<GateEndpoint, "baseUrl"> = {
        databaseUrl: k.databaseUrl ? pulumi.secret(k.databaseUrl) : undefined,
        redisUrl: k.redisUrl ? pulumi.secret(k.redisUrl) : undefined,
        metrics: k.prometheusUrl ? prometheusMetrics(k.prometheusUrl) : undefined,
      };
      if (gateway) {
        // The environments' header routes send X-Runbook-Color to that color at this hostname;
        // through an address of the gateway's own, the hostname goes in the Host header.
        if (k.gatewayUrl) return { ...endpoint, baseUrl: k.gatewayUrl, host: gateway.hostname };
        return { ...endpoint, baseUrl: `${k.gatewayScheme}://${gateway.hostname}` };
      }
      // service-selector mode has no header routing: the gate talks to the color gaining traffic
      // through its own Service, in-cluster (the header is then merely ignored).
      const color = plan.towards ?? (plan.next.green > plan.next.blue ? "green" : "blue");
      return { ...endpoint, baseUrl: `http://${colorServiceName(service, color)}.${k.namespace}.svc.cluster.local` };
    },
  };
}
