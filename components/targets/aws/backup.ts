// The backup taken before traffic moves on the aws target: a manual RDS snapshot of the database
// instance.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ROLE_TAG, ROLES } from "../../roles";
import { PKG } from "../../types";
import { triggerSlug } from "../../backup/backup-name";

/** Tag holding the time the backup was taken (RDS snapshots have no creation-time output). */
export const TAKEN_AT_TAG = "runbook:taken-at";
export const TRIGGER_TAG = "runbook:trigger";

export interface AwsBackupArgs {
  /** Service name (`service.name`), a tag and the identifier's prefix. */
  service: string;
  /** Changing this takes a new backup (BlueGreenService passes the release being promoted). */
  trigger: string;
  /** The RDS instance to backup. Defaults to "runbook-db". */
  dbInstanceIdentifier?: string;
  /** Time the backup is taken if it does not exist yet. Defaults to now. */
  now?: Date;
}

/**
 * `<service>-<trigger>-<yyyymmddhhmmss>`: the time makes it unique, because retained backups
 * stay in the account and a release may be promoted twice.
 */
export function backupIdentifier(service: string, trigger: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `${service}-${triggerSlug("AwsBackup", trigger)}-${stamp}`;
}

export function validateAwsBackupArgs(a: AwsBackupArgs): void {
  triggerSlug("AwsBackup", a.trigger);
  const db = a.dbInstanceIdentifier ?? "runbook-db";
  if (!/^[a-zA-Z](?:-?[a-zA-Z0-9])*$/.test(db) || db.length > 63) {
    throw new Error(`AwsBackup: dbInstanceIdentifier must be an RDS identifier (a letter, then letters, digits and single hyphens; got ${JSON.stringify(db)})`);
  }
  const id = backupIdentifier(a.service, a.trigger, a.now ?? new Date());
  if (!/^[a-zA-Z](?:-?[a-zA-Z0-9])*$/.test(id) || id.length > 255) {
    throw new Error(`AwsBackup: service "${a.service}" does not make an RDS snapshot identifier (got ${JSON.stringify(id)})`);
  }
}

export class AwsBackup extends pulumi.ComponentResource {
  readonly backupId: pulumi.Output<string>;
  readonly takenAt: pulumi.Output<string>;
  readonly verified: pulumi.Output<boolean>;
  readonly backup: aws.rds.Snapshot;

  constructor(name: string, args: AwsBackupArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(`${PKG}:aws:AwsBackup`, name, {}, opts);
    validateAwsBackupArgs(args);
    const now = args.now ?? new Date();
    // The resource name carries the trigger: a new trigger is a new backup. retainOnDelete keeps
    // every backup in the account when its trigger leaves the program and on `pulumi destroy`.
    // Not `protect`: the engine refuses to remove a protected resource from the stack even with
    // retainOnDelete, so the next promotion would fail ("unable to delete resource ... as it is
    // currently marked for protection") as soon as the trigger changed.
    // The identifier and the taken-at tag are computed from the time of the update that creates the
    // backup; ignoreChanges keeps both from the creation on, so later updates do not replace it.
    this.backup = new aws.rds.Snapshot(
      `${name}-${triggerSlug("AwsBackup", args.trigger)}`,
      {
        dbInstanceIdentifier: args.dbInstanceIdentifier ?? "runbook-db",
        dbSnapshotIdentifier: backupIdentifier(args.service, args.trigger, now),
        tags: { app: args.service, [ROLE_TAG]: ROLES.backup, [TRIGGER_TAG]: args.trigger, [TAKEN_AT_TAG]: now.toISOString() },
      },
      { parent: this, retainOnDelete: true, ignoreChanges: ["dbSnapshotIdentifier", `tags["${TAKEN_AT_TAG}"]`] },
    );
    this.backupId = this.backup.dbSnapshotIdentifier;
    this.takenAt = this.backup.tags.apply((t) => t?.[TAKEN_AT_TAG] ?? now.toISOString());
    // The provider returns once the backup is "available": a usable backup.
    this.verified = this.backup.status.apply((s) => s === "available");
    this.registerOutputs({ backupId: this.backupId, takenAt: this.takenAt, verified: this.verified });
  }
}
