// Runbook: shift traffic in stages (canary first), so a bad release meets few users.
import { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { options } from "./config";
import { CONFIG_NAMESPACE, describeChange, readRecord } from "./record";

export interface TrafficStepOptions {
  maxFirstStepPercent: number;
  maxStepPoints: number;
}

export const trafficStepSchema: PolicyConfigSchema = {
  properties: {
    maxFirstStepPercent: {
      type: "integer",
      minimum: 1,
      maximum: 100,
      default: 10,
      description: "Most traffic, in percent, the first step toward a new release may send it (its weight was 0). Defaults to 10.",
    },
    maxStepPoints: {
      type: "integer",
      minimum: 1,
      maximum: 100,
      default: 50,
      description: "Most percentage points any one promotion step may move. Defaults to 50.",
    },
  },
};

export const trafficStep: ResourceValidationPolicy = {
  name: "traffic-step",
  description: "Checks that each promotion step moves little enough traffic: a small first step toward a new release, and no step above a limit.",
  // Mandatory: the fix is a smaller number in the stack config, and a big first step is exactly
  // how one bad release reaches every user.
  enforcementLevel: "mandatory",
  configSchema: trafficStepSchema,
  validateResource: (args, report) => {
    const record = readRecord(args.type, args.props);
    if (!record) return;
    const { kind, previous, next, towards } = record.plan;
    if (kind !== "promote" || !previous || !towards) return;

    const o = options<TrafficStepOptions>(args, trafficStepSchema);
    const from = previous[towards];
    const to = next[towards];
    const step = to - from;
    const first = from === 0;
    const limit = first ? Math.min(o.maxFirstStepPercent, o.maxStepPoints) : o.maxStepPoints;
    if (step <= limit) return;

    // The one key a person edits is traffic.green; say which value keeps the step within the limit.
    const allowed = from + limit;
    const key = `\`${CONFIG_NAMESPACE}:traffic.green\``;
    const fix = towards === "green" ? `set ${key} to ${allowed} or less` : `set ${key} to ${100 - allowed} or more`;
    const moved = `(${towards} ${from}% -> ${to}%)`;
    report(
      first
        ? `${describeChange(record)} is its first step and moves ${step}% of traffic ${moved}, more than the ${limit}% allowed for a first step; ${fix}`
        : `${describeChange(record)} moves ${step} points of traffic in one step ${moved}, more than the ${limit} points allowed; ${fix} and continue in further steps`,
    );
  },
};
