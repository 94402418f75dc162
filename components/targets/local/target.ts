// The local target's parts for one update: environments under supervisord, the nginx router's two
// steps, pg_dump backups, and where gates reach a color on this machine.
import * as pulumi from "@pulumi/pulumi";
import { prometheusMetrics } from "../../gates/prometheus-spec";
import type { TargetContext, BlueGreenTarget } from "../target";
import { LocalBackup } from "./backup";
import { backupsDir } from "./backups-dir";
import type { LocalConfig } from "./config";
import { LocalEnvironment } from "./environment";
import * as paths from "./paths";
import { LocalRouter } from "./router";

export function localTarget(section: LocalConfig, _ctx: TargetContext): BlueGreenTarget {
  const stack = pulumi.getStack();
  return {
    environment(name, args, opts) {
      return new LocalEnvironment(
        name,
        {
          stack,
          service: args.service,
          color: args.color,
          release: args.release,
          waitForReady: args.serving ?? true,
          basePort: section.basePort,
          workMs: section.workMs,
          databaseUrl: pulumi.secret(paths.postgresAdminUrl()),
          redisUrl: paths.redisUrl(),
        },
        opts,
      );
    },
    routerBackends(name, args, opts) {
      const upstreams: Partial<Record<"blue" | "green", pulumi.Output<number[]>>> = {};
      for (const [color, env] of Object.entries(args.environments)) {
        if (!(env instanceof LocalEnvironment)) throw new Error(`local target: the ${color} environment is not a LocalEnvironment`);
        upstreams[color as "blue" | "green"] = env.ports;
      }
      return new LocalRouter(name, { stack, service: args.service, port: section.routerPort, upstreams }, opts);
    },
    routerTraffic(_name, args) {
      if (!(args.backends instanceof LocalRouter)) throw new Error("local target: the router's backends are not a LocalRouter");
      return args.backends.applyTraffic(args.traffic, args.after, args.maintenance);
    },
    backup(name, args, opts) {
      return new LocalBackup(
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
        baseUrl: `http://127.0.0.1:${section.routerPort}`,
        databaseUrl: pulumi.secret(paths.postgresAdminUrl()),
        redisUrl: paths.redisUrl(),
        metrics: prometheusMetrics(paths.prometheusUrl()),
        // The releases, their logs and backups live there: the disk a full filesystem would stop.
        hostDiskPath: paths.stateDir(),
      };
    },
  };
}
