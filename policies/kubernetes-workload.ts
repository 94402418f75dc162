// Kubernetes target: a blue/green shift is only as safe as the pods it shifts to. Readiness
// decides when a pod takes traffic, liveness restarts a hung one, requests let the scheduler
// place it, and a disruption budget keeps a node drain from emptying a color.
import { PolicyConfigSchema, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { options } from "./config";
import { at, read, str, UNKNOWN } from "./record";
import { K8S_DEPLOYMENT, K8S_PDB, recordsIn, waived } from "./stack";

export interface KubernetesWorkloadOptions {
  requireReadinessProbe: boolean;
  requireLivenessProbe: boolean;
  requireResourceRequests: boolean;
  requireDisruptionBudget: boolean;
}

export const kubernetesWorkloadSchema: PolicyConfigSchema = {
  properties: {
    requireReadinessProbe: { type: "boolean", default: true, description: "Every container has a readinessProbe. Defaults to true." },
    requireLivenessProbe: { type: "boolean", default: true, description: "Every container has a livenessProbe. Defaults to true." },
    requireResourceRequests: {
      type: "boolean",
      default: true,
      description: "Every container has resources.requests.cpu and resources.requests.memory. Defaults to true.",
    },
    requireDisruptionBudget: {
      type: "boolean",
      default: true,
      description: "A PodDisruptionBudget in the stack selects each Deployment's pods. Defaults to true.",
    },
  },
};

type Labels = Record<string, string>;

const given = (v: unknown) => v !== undefined && v !== null; // an unknown (preview) value is given

function labelsOf(v: unknown): Labels | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const out: Labels = {};
  for (const k of Object.keys(v)) {
    const value = read(v, k);
    if (typeof value === "string") out[k] = value;
  }
  return out;
}

/** True when a label selector (matchLabels, matchExpressions) selects pods with these labels. */
export function selects(selector: unknown, labels: Labels): boolean {
  if (typeof selector !== "object" || selector === null) return false;
  const match = labelsOf(read(selector, "matchLabels")) ?? {};
  if (!Object.entries(match).every(([k, v]) => labels[k] === v)) return false;
  const expressions = read(selector, "matchExpressions");
  if (!Array.isArray(expressions)) return true; // policy/v1: an empty selector selects every pod
  return expressions.every((e) => {
    const key = str(e, "key") ?? "";
    const values = (read(e, "values") as unknown[] | undefined) ?? [];
    switch (str(e, "operator")) {
      case "In":
        return Object.hasOwn(labels, key) && values.includes(labels[key]);
      case "NotIn":
        return !Object.hasOwn(labels, key) || !values.includes(labels[key]);
      case "Exists":
        return Object.hasOwn(labels, key);
      case "DoesNotExist":
        return !Object.hasOwn(labels, key);
      default:
        return false;
    }
  });
}

const namespaceOf = (r: PolicyResource) => str(r.props, "metadata", "namespace") ?? "default";

export const kubernetesWorkload: StackValidationPolicy = {
  name: "kubernetes-workload",
  description: "Checks that every Kubernetes Deployment has readiness and liveness probes and resource requests on each container, and a PodDisruptionBudget.",
  // Mandatory: a pod without a readiness probe takes traffic before it can serve, which a health
  // gate cannot catch. A stack policy, not a resource one: the budget lives in another resource,
  // and only the stack shows the deployment record that says this update is a rollback (never
  // blocked). `preview` (and the preview `pulumi up` runs first) refuses before anything changes.
  enforcementLevel: "mandatory",
  configSchema: kubernetesWorkloadSchema,
  validateStack: (args, report) => {
    const o = options<KubernetesWorkloadOptions>(args, kubernetesWorkloadSchema);
    const records = recordsIn(args.resources);
    const budgets = args.resources.filter((r) => r.type === K8S_PDB);
    for (const d of args.resources.filter((r) => r.type === K8S_DEPLOYMENT)) {
      if (waived(d, records)) continue;
      const containers = at(d.props, "spec", "template", "spec", "containers");
      for (const [i, c] of (Array.isArray(containers) ? containers : []).entries()) {
        const where = `Deployment ${d.name} container ${str(c, "name") ?? `#${i}`}`;
        if (o.requireReadinessProbe && !given(read(c, "readinessProbe"))) {
          report(`${where} has no readinessProbe; add one (for example an httpGet of /readyz) so a pod takes traffic only once it is ready`, d.urn);
        }
        if (o.requireLivenessProbe && !given(read(c, "livenessProbe"))) {
          report(`${where} has no livenessProbe; add one (for example an httpGet of /healthz) so a hung pod is restarted`, d.urn);
        }
        const missing = ["cpu", "memory"].filter((k) => !given(at(c, "resources", "requests", k))).map((k) => `resources.requests.${k}`);
        if (o.requireResourceRequests && missing.length > 0) {
          report(`${where} has no ${missing.join(" or ")}; set ${missing.length > 1 ? "both" : "it"} so the scheduler places the pod on a node with room for it`, d.urn);
        }
      }
      const podLabels = at(d.props, "spec", "template", "metadata", "labels");
      const labels = podLabels === UNKNOWN ? undefined : (labelsOf(podLabels) ?? {});
      if (!o.requireDisruptionBudget || !labels) continue;
      if (budgets.some((b) => namespaceOf(b) === namespaceOf(d) && selects(at(b.props, "spec", "selector"), labels))) continue;
      const shown = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(", ") || "no labels";
      report(
        `Deployment ${d.name} has no PodDisruptionBudget in the stack selecting its pods (${shown}) in namespace ${namespaceOf(d)}; ` +
          `add one whose spec.selector.matchLabels match these labels, so a node drain cannot take the color down`,
        d.urn,
      );
    }
  },
};
