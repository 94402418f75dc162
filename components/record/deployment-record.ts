// The deployment record: one per blue/green service. It is the runbook's paper trail (what moved,
// from what, toward what, with which backup and gates) and the announcement its communication
// templates ask for. Policies read its inputs to judge the update.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LazyDynamicResource } from "../dynamic/lazy-provider";
import type { ChangeEvidence, CiEvidence, StagingEvidence } from "../config/predeploy-config";
import { ROLE_PROPERTY, ROLES } from "../roles";
import { Color, ShiftPlan } from "../types";

export interface SensitiveConfigKey {
  key: string;
  secret: boolean;
}

export interface DeploymentRecordArgs {
  /** Project, stack and service names, for the record's file name and text. */
  project: string;
  stack: string;
  service: string;
  /** The target the stack deploys to. */
  target: string;
  /** The classified change. */
  plan: ShiftPlan;
  /** Release of each color (absent when a color runs nothing). */
  versions: Partial<Record<Color, string>>;
  /** `hotfix: true` in the stack config: overrides the deployment window. Defaults to false. */
  hotfix: boolean;
  /** `maintenance: true`: the update runs in a maintenance window. Defaults to false. */
  maintenance: boolean;
  /** What the staging stack ran at 100% (`predeploy.stagingStack`), read for a promotion; absent otherwise. */
  staging?: pulumi.Input<StagingEvidence>;
  /** The release's CI result (`predeploy.ci`), for a promotion. */
  ci?: CiEvidence;
  /** The change since the stable release (`predeploy.changeSize`), for a promotion. */
  changeSize?: ChangeEvidence;
  /** The backup taken for this promotion, when one was. */
  backup?: pulumi.Input<{ backupId: string; takenAt: string; verified: boolean }>;
  /**
   * `backup.refreshAfterMinutes` as the program used it: a promotion step re-takes an older backup.
   * The backup-age policy compares it with its own maximum age.
   */
  backupRefreshAfterMinutes: number;
  /** URNs of the health gates guarding the color that gains traffic. Defaults to none. */
  gates: pulumi.Input<string>[];
  /** Config keys that look sensitive, and whether each is a Pulumi secret. */
  sensitiveConfig: SensitiveConfigKey[];
  /** Folder the record and the announcement log are written to. */
  directory: string;
  /** Optional webhook (a secret) the announcement is posted to. */
  webhookUrl?: pulumi.Input<string>;
  /** HMAC-SHA256 key (a secret) the post to `webhookUrl` is signed with. Defaults to none (unsigned). */
  signingKey?: pulumi.Input<string>;
}

export class DeploymentRecord extends LazyDynamicResource {
  declare readonly announcement: pulumi.Output<string>;
  declare readonly file: pulumi.Output<string>;

  constructor(name: string, args: DeploymentRecordArgs, opts: pulumi.CustomResourceOptions = {}) {
    const provider = { module: path.join(__dirname, "deployment-record-provider.js"), export: "deploymentRecordProvider" };
    super(
      provider,
      name,
      {
        [ROLE_PROPERTY]: ROLES.record,
        ...args,
        webhookUrl: args.webhookUrl ? pulumi.secret(args.webhookUrl) : undefined,
        signingKey: args.signingKey ? pulumi.secret(args.signingKey) : undefined,
        announcement: undefined,
        file: undefined,
      },
      opts,
    );
  }
}
