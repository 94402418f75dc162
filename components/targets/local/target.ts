// The embedded default target: supervisord-run processes, nginx, PostgreSQL, Redis, Prometheus,
// all on this machine (scripts/bootstrap-local.sh starts the shared services).
import * as pulumi from "@pulumi/pulumi";
import { LocalEnvironment } from "./environment";
import * as paths from "./paths";
import { LocalRouter } from "./router";
import { LocalSnapshot } from "./snapshot";
import { backupsDir } from "./backups-dir";
import { BlueGreenTarget, TargetContext } from "../target";

export function localTarget(ctx: TargetContext): BlueGreenTarget {
  const { config } = ctx;
  const stack = pulumi.getStack();
  return {
    name: "local",
    environment(name, args, opts) {
      return new LocalEnvironment(
        name,
        {
          stack,
          service: args.service,
          color: args.color,
          release: args.release,
          waitForReady: args.serving ?? true,
          basePort: config.local.basePort,
          workMs: config.local.workMs,
          databaseUrl: pulumi.secret(paths.postgresAdminUrl()),
          redisUrl: paths.redisUrl(),
        },
        opts,
      );
    },
    router(name, args, opts) {
      const upstreams: { blue?: pulumi.Output<number[]>; green?: pulumi.Output<number[]> } = {};
      for (const [color, env] of Object.entries(args.environments)) {
        upstreams[color as "blue" | "green"] = (env as LocalEnvironment).ports;
      }
      return new LocalRouter(
        name,
        { stack, service: args.service, port: config.local.routerPort, weights: args.weights, upstreams, beforeWeights: args.beforeWeights },
        opts,
      );
    },
    snapshot(name, args, opts) {
      return new LocalSnapshot(
        name,
        {
          stack,
          service: args.service,
          trigger: args.trigger,
          databaseUrl: pulumi.secret(paths.postgresAdminUrl()),
          directory: backupsDir(stack, args.service),
        },
        opts,
      );
    },
    gateEndpoint() {
      return {
        baseUrl: `http://127.0.0.1:${config.local.routerPort}`,
        metrics: "prometheus",
        databaseUrl: pulumi.secret(paths.postgresAdminUrl()),
        redisUrl: paths.redisUrl(),
        prometheusUrl: paths.prometheusUrl(),
      };
    },
  };
}
