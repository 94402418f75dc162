// Runbook: "Never deploy on Fridays", "Always deploy during low-traffic windows".
import { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { DAY_NAMES, DayName, describeWindow, inWindow, localTime, policyClock, timeZoneProblem } from "./clock";
import { NOW_OPTION, options } from "./config";
import { CONFIG_NAMESPACE, describeChange, isPromotion, readRecord } from "./record";

export interface DeploymentWindowOptions {
  timeZone: string;
  days: DayName[];
  startHour: number;
  endHour: number;
  now?: string;
}

export const deploymentWindowSchema: PolicyConfigSchema = {
  properties: {
    timeZone: {
      type: "string",
      default: "UTC",
      description: 'IANA time zone the window is in, e.g. "Europe/Berlin". Defaults to "UTC".',
    },
    days: {
      type: "array",
      items: { type: "string", enum: [...DAY_NAMES] },
      uniqueItems: true,
      default: ["Mon", "Tue", "Wed", "Thu"],
      description:
        "Days a window opens on (an empty list freezes promotions). Defaults to Mon-Thu: Fridays and weekends are blocked.",
    },
    startHour: {
      type: "integer",
      minimum: 0,
      maximum: 23,
      default: 0,
      description: "Local hour the window opens. Defaults to 0.",
    },
    endHour: {
      type: "integer",
      minimum: 1,
      maximum: 24,
      default: 24,
      description: "Local hour the window closes; below startHour, the window runs overnight into the next day. Defaults to 24.",
    },
    now: NOW_OPTION,
  },
};

/** Problems with the options, each naming the option. */
function optionProblems(o: DeploymentWindowOptions): string[] {
  const problems: string[] = [];
  const tz = timeZoneProblem(o.timeZone);
  if (tz) problems.push(tz);
  const badDays = (o.days ?? []).filter((d) => !DAY_NAMES.includes(d));
  if (!Array.isArray(o.days) || badDays.length > 0) {
    problems.push(`policy config \`days\` must list days such as ["Mon", "Tue", "Wed", "Thu"] (got ${JSON.stringify(o.days)})`);
  }
  const hour = (h: number, min: number, max: number) => Number.isInteger(h) && h >= min && h <= max;
  if (!hour(o.startHour, 0, 23) || !hour(o.endHour, 1, 24) || o.startHour === o.endHour) {
    problems.push(
      `policy config \`startHour\` (${o.startHour}) and \`endHour\` (${o.endHour}) must be different whole hours, from 0 to 23 and from 1 to 24; use 0 and 24 for the whole day`,
    );
  }
  return problems;
}

export const deploymentWindow: ResourceValidationPolicy = {
  name: "deployment-window",
  description: "Checks that a promotion runs inside a configured deployment window (days, hours, IANA time zone), unless it is a hotfix.",
  // Mandatory: the window is the team's agreement. The documented override is
  // `deployment-runbook:hotfix` true, which the record and the stack outputs show.
  enforcementLevel: "mandatory",
  configSchema: deploymentWindowSchema,
  validateResource: (args, report) => {
    const record = readRecord(args.type, args.props);
    if (!record) return;
    const kind = record.plan.kind;
    if (!isPromotion(kind)) return;
    if (record.hotfix) return;

    const o = options<DeploymentWindowOptions>(args, deploymentWindowSchema);
    const clock = policyClock(o.now);
    const problems = [...optionProblems(o), ...("problem" in clock ? [clock.problem] : [])];
    if (problems.length > 0 || "problem" in clock) {
      // Fail closed: a window that cannot be read must not let a Friday promotion through.
      for (const p of problems) report(p);
      return;
    }
    const t = localTime(clock, o.timeZone);
    if (!inWindow(t, o)) {
      report(
        `${describeChange(record)} on ${t.day} ${t.hhmm} ${o.timeZone} is outside the deployment window (${describeWindow(o, o.timeZone)}); ` +
          `wait for the window or set \`${CONFIG_NAMESPACE}:hotfix\` true for a critical hotfix`,
      );
    }
  },
};
