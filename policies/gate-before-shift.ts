// Runbook: smoke-test the new color before it takes traffic. Every promotion step waits for a
// health gate for the color gaining traffic, so a failed gate leaves traffic as it was.
import { PolicyConfigSchema, StackValidationPolicy } from "@pulumi/policy";
import { options } from "./config";
import { describeChange, isPromotion, read } from "./record";
import { colorOf, dependencyClosure, describeGate, isHealthGate, recordsIn, routersOf } from "./stack";

export interface GateBeforeShiftOptions {
  requireForInitial: boolean;
}

export const gateBeforeShiftSchema: PolicyConfigSchema = {
  properties: {
    requireForInitial: {
      type: "boolean",
      default: true,
      description: "Also require the gate on a stack's first deployment, before the first color takes traffic. Defaults to true.",
    },
  },
};

export const gateBeforeShift: StackValidationPolicy = {
  name: "gate-before-shift",
  description: "Checks that the resource carrying the traffic split depends on a health gate, run in this update, for the color a promotion moves toward.",
  // Mandatory: without the dependency a failed gate would not stop the shift. Dependencies are
  // only visible to a stack policy, which the engine runs after the update's steps: `preview`
  // (and the preview `pulumi up` runs first) refuses before anything changes.
  enforcementLevel: "mandatory",
  configSchema: gateBeforeShiftSchema,
  validateStack: (args, report) => {
    const o = options<GateBeforeShiftOptions>(args, gateBeforeShiftSchema);
    for (const { resource, record } of recordsIn(args.resources)) {
      const { kind, towards } = record.plan;
      if (!towards || !isPromotion(kind) || (kind === "initial" && !o.requireForInitial)) continue;
      const routers = routersOf(args.resources, record);
      if (routers.length === 0) {
        report(
          `${describeChange(record)} found no resource carrying the traffic split of service ${record.service} on target ${record.target}, so no gate can hold the shift back; register the service's router in this stack`,
          resource.urn,
        );
        continue;
      }
      for (const router of routers) {
        const upstream = dependencyClosure(router, args.resources).filter(isHealthGate);
        if (upstream.some((g) => colorOf(g) === towards && read(g.props, "run") === true)) continue;
        const seen = upstream.length > 0 ? upstream.map(describeGate).join(", ") : "none";
        report(
          `${router.name} shifts traffic for the ${describeChange(record)} without waiting for a health gate for ${towards} run in this update ` +
            `(gates it depends on: ${seen}); make it depend on the ${towards} health gate with run true, so a failed gate leaves traffic as it was`,
          router.urn,
        );
      }
    }
  },
};
