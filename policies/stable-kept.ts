// Runbook: keep the previous environment running until the new one has been stable long enough, so a
// rollback is a traffic change, not a redeploy.
import { PolicyConfigSchema, StackValidationPolicy } from "@pulumi/policy";
import { formatMinutes, minutesBetween, parseTime, policyClock } from "./clock";
import { NOW_OPTION, options } from "./config";
import { CONFIG_NAMESPACE, describeChange, neverBlocked } from "./record";
import { environmentsOf, recordsIn } from "./stack";

export interface StableKeptOptions {
  keepMinutes: number;
  now?: string;
}

export const stableKeptSchema: PolicyConfigSchema = {
  properties: {
    keepMinutes: {
      type: "number",
      minimum: 0,
      default: 30,
      description: "Minutes after the new color reaches 100% during which the replaced color must stay deployed. Defaults to 30.",
    },
    now: NOW_OPTION,
  },
};

export const stableKept: StackValidationPolicy = {
  name: "stable-kept",
  description: "Checks that the environment of the stable color stays in the stack while the new color has less than 100% and for `keepMinutes` after.",
  // Mandatory: deleting the rollback target turns a one-minute rollback into a redeploy. Only a
  // stack policy sees which resources remain; `preview` (and the preview `pulumi up` runs first)
  // refuses before anything is deleted.
  enforcementLevel: "mandatory",
  configSchema: stableKeptSchema,
  validateStack: (args, report) => {
    const o = options<StableKeptOptions>(args, stableKeptSchema);
    for (const { resource, record } of recordsIn(args.resources)) {
      const { kind, towards, next, stable, nextStable, retiring } = record.plan;
      // Retiring a color (its version removed from config) is judged in any kind of update but a
      // rollback: the replacement must have served 100% for the keep period.
      if (retiring && kind !== "rollback") {
        const problem = retirementProblem(retiring, o);
        if (problem) report(`${describeChange(record)} ${problem}`, resource.urn);
        continue;
      }
      if (neverBlocked(kind) || !stable || stable.color === towards) continue;
      const replaced = stable.color;
      if (environmentsOf(args.resources, record, replaced).length > 0) continue;
      const keep = `keep \`${CONFIG_NAMESPACE}:${replaced}.version\` set to ${stable.version}`;
      let problem: string | undefined;
      if (kind === "promote" && towards && next[towards] < 100) {
        problem = `leaves ${towards} at ${next[towards]}% but removes ${replaced} ${stable.version}, the rollback target; ${keep} until ${towards} serves 100% for ${formatMinutes(o.keepMinutes)}`;
      } else if (nextStable && nextStable.color !== replaced && nextStable.since) {
        const clock = policyClock(o.now);
        if ("problem" in clock) {
          report(clock.problem, resource.urn);
          continue;
        }
        // An unreadable time counts as just now: the policy fails closed.
        const since = parseTime(nextStable.since);
        const age = since ? Math.max(0, minutesBetween(since, clock)) : 0;
        if (age < o.keepMinutes) {
          problem =
            `removes ${replaced} ${stable.version}, the rollback target, ${formatMinutes(age)} after ${nextStable.color} reached 100% ` +
            `(keep period ${formatMinutes(o.keepMinutes)}); ${keep} until the keep period has passed`;
        }
      }
      if (problem) {
        report(`${describeChange(record)} ${problem}`, resource.urn);
      }
    }
  },
};

function retirementProblem(retiring: NonNullable<ReturnType<typeof recordsIn>[number]["record"]["plan"]["retiring"]>, o: StableKeptOptions): string | undefined {
  const keep = `keep \`${CONFIG_NAMESPACE}:${retiring.color}.version\` set to ${retiring.version}`;
  const by = retiring.replacedBy;
  if (!by || !by.since) {
    return `removes ${retiring.color} ${retiring.version}, the rollback target, before the other color has served 100%; ${keep} until it has for ${formatMinutes(o.keepMinutes)}`;
  }
  const clock = policyClock(o.now);
  if ("problem" in clock) return clock.problem;
  const since = parseTime(by.since);
  const age = since ? Math.max(0, minutesBetween(since, clock)) : 0;
  if (age >= o.keepMinutes) return undefined;
  return (
    `removes ${retiring.color} ${retiring.version}, the rollback target, ${formatMinutes(age)} after ${by.color} ${by.version} reached 100% ` +
    `(keep period ${formatMinutes(o.keepMinutes)}); ${keep} until the keep period has passed`
  );
}
