// Runbook (pre-deployment checklist): "tested in staging". A stack that names its staging stack
// (`predeploy.stagingStack`) promotes only a version staging served at 100% and did not roll back
// from; the program reads that stack's outputs through a StackReference into the deployment record.
import { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { options } from "./config";
import { CONFIG_NAMESPACE, describeChange, isPromotion, readRecord } from "./record";

export interface StagingProvenOptions {
  allowHotfix: boolean;
}

export const stagingProvenSchema: PolicyConfigSchema = {
  properties: {
    allowHotfix: {
      type: "boolean",
      default: false,
      description: "Whether a promotion with `hotfix: true` may skip staging (a team's emergency path). Defaults to false: a hotfix goes through staging too.",
    },
  },
};

export const stagingProven: ResourceValidationPolicy = {
  name: "staging-proven",
  description: "Checks that a promotion on a stack with a staging stack (`predeploy.stagingStack`) moves toward a version staging ran at 100%.",
  // Mandatory: a release no smaller environment ever served in full is the release the checklist
  // exists to stop; rollbacks never reach this check. Unset the key to promote without staging.
  enforcementLevel: "mandatory",
  configSchema: stagingProvenSchema,
  validateResource: (args, report) => {
    const record = readRecord(args.type, args.props);
    if (!record?.staging || !isPromotion(record.plan.kind) || !record.plan.towards) return;
    if (record.hotfix && options<StagingProvenOptions>(args, stagingProvenSchema).allowHotfix) return;
    const version = record.versions[record.plan.towards];
    const { stack, provenVersions } = record.staging;
    if (!version || provenVersions.includes(version)) return;
    report(
      `${describeChange(record)}: staging stack "${stack}" never ran ${version} at 100% (versions it did: ${provenVersions.join(", ") || "none"}); ` +
        `promote ${version} to 100% on ${stack} first, or unset \`${CONFIG_NAMESPACE}:predeploy.stagingStack\` to promote without it`,
    );
  },
};
