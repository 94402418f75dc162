// Runbook (pre-deployment checklist): "all tests passing in CI". A stack that names where its
// release's CI result is (`predeploy.ci`) promotes only a release whose result is green; the program
// reads the file or runs the command into the deployment record.
import { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { options } from "./config";
import { CONFIG_NAMESPACE, describeChange, isPromotion, readRecord } from "./record";

export interface CiPassedOptions {
  allowHotfix: boolean;
}

export const ciPassedSchema: PolicyConfigSchema = {
  properties: {
    allowHotfix: {
      type: "boolean",
      default: false,
      description: "Whether a promotion with `hotfix: true` may go out on a CI result that is not green. Defaults to false.",
    },
  },
};

export const ciPassed: ResourceValidationPolicy = {
  name: "ci-passed",
  description: "Checks that a promotion on a stack with `predeploy.ci` moves toward a release whose CI result is green.",
  // Mandatory: a red or missing build is the first line of the checklist.
  enforcementLevel: "mandatory",
  configSchema: ciPassedSchema,
  validateResource: (args, report) => {
    const record = readRecord(args.type, args.props);
    if (!record?.ci || !isPromotion(record.plan.kind) || record.ci.passed) return;
    if (record.hotfix && options<CiPassedOptions>(args, ciPassedSchema).allowHotfix) return;
    report(`${describeChange(record)}: the release's CI result is not green (${record.ci.source}: ${record.ci.detail}); fix the build, or change \`${CONFIG_NAMESPACE}:predeploy.ci\` if it reads the wrong result`);
  },
};
