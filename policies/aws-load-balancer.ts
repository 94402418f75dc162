// AWS target: the listener's traffic only protect users if the load balancer stops sending
// requests to tasks that fail a health check.
import { PolicyConfigSchema, StackValidationPolicy } from "@pulumi/policy";
import { options } from "./config";
import { read, UNKNOWN } from "./record";
import { LB_TARGET_GROUPS, recordsIn, waived } from "./stack";

export interface AwsLoadBalancerOptions {
  requirePath: boolean;
}

export const awsLoadBalancerSchema: PolicyConfigSchema = {
  properties: {
    requirePath: {
      type: "boolean",
      default: true,
      description: "The health check names a path (HTTP target groups); false for TCP target groups, whose checks have none. Defaults to true.",
    },
  },
};

export const awsLoadBalancer: StackValidationPolicy = {
  name: "aws-load-balancer",
  description: "Checks that every load balancer target group has its health check enabled, with a path.",
  // Mandatory: without a health check a crashed task keeps its share of the traffic. A stack
  // policy so that a rollback (read from the deployment record) is never blocked; `preview` (and
  // the preview `pulumi up` runs first) refuses before anything changes.
  enforcementLevel: "mandatory",
  configSchema: awsLoadBalancerSchema,
  validateStack: (args, report) => {
    const o = options<AwsLoadBalancerOptions>(args, awsLoadBalancerSchema);
    const records = recordsIn(args.resources);
    for (const tg of args.resources.filter((r) => LB_TARGET_GROUPS.includes(r.type))) {
      if (waived(tg, records)) continue;
      const hc = read(tg.props, "healthCheck");
      if (hc === UNKNOWN) continue; // decided by the provider during preview
      const fix = 'set healthCheck to { enabled: true, path: "/readyz" } so the load balancer stops sending requests to a task that fails it';
      if (typeof hc !== "object" || hc === null) {
        report(`target group ${tg.name} has no health check; ${fix}`, tg.urn);
      } else if (read(hc, "enabled") === false) {
        report(`target group ${tg.name} has its health check disabled (healthCheck.enabled false); ${fix}`, tg.urn);
      } else if (o.requirePath && !read(hc, "path")) {
        report(`target group ${tg.name} has a health check without a path; ${fix}`, tg.urn);
      }
    }
  },
};
