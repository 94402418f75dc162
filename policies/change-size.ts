// Runbook (best practices): "small, frequent deployments". The lines changed since the stable
// release (`predeploy.changeSize`, from git tags) against a limit. Advisory by default: a big
// change is a reason to watch closely, not always to stop.
import { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { options } from "./config";
import { describeChange, isPromotion, readRecord } from "./record";

export interface ChangeSizeOptions {
  reportUnmeasured: boolean;
}

export const changeSizeSchema: PolicyConfigSchema = {
  properties: {
    reportUnmeasured: {
      type: "boolean",
      default: true,
      description: "Whether a change that could not be measured (a missing tag or repository) is reported. Defaults to true.",
    },
  },
};

export const changeSize: ResourceValidationPolicy = {
  name: "change-size",
  description: "Checks that a promotion changes no more lines since the stable release than `predeploy.changeSize.maxLines` (200 by default).",
  enforcementLevel: "advisory",
  configSchema: changeSizeSchema,
  validateResource: (args, report) => {
    const record = readRecord(args.type, args.props);
    const c = record?.changeSize;
    if (!record || !c || !isPromotion(record.plan.kind)) return;
    if (c.error !== undefined) {
      if (options<ChangeSizeOptions>(args, changeSizeSchema).reportUnmeasured) report(`${describeChange(record)}: the change since ${c.from} could not be measured (${c.error})`);
      return;
    }
    if ((c.lines ?? 0) > c.maxLines) {
      report(`${describeChange(record)} changes ${c.lines} lines in ${c.files} file${c.files === 1 ? "" : "s"} since ${c.from} (${c.from}..${c.to}), more than the ${c.maxLines} a small change has; watch this release closely, or ship it in smaller steps`);
    }
  },
};
