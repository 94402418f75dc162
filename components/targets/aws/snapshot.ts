// The backup taken before traffic moves on the aws target: a manual RDS snapshot of the database
// instance.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PKG } from "../../types";
import { triggerSlug } from "../../backup/snapshot-name";

/** Tag holding the time the snapshot was taken (RDS snapshots have no creation-time output). */
export const TAKEN_AT_TAG = "runbook:taken-at";
export const TRIGGER_TAG = "runbook:trigger";

export interface AwsSnapshotArgs {
  /** Service name (`service.name`), a tag and the identifier's prefix. */
  service: string;
  /** Changing this takes a new snapshot (BlueGreenService passes the release being promoted). */
  trigger: string;
  /** The RDS instance to snapshot. Defaults to "runbook-db". */
  dbInstanceIdentifier?: string;
  /** Time the snapshot is taken if it does not exist yet. Defaults to now. */
  now?: Date;
}

/**
 * `<service>-<trigger>-<yyyymmddhhmmss>`: the time makes it unique, because retained snapshots
 * stay in the account and a release may be promoted twice.
 */
export function snapshotIdentifier(service: string, trigger: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `${service}-${triggerSlug("AwsSnapshot", trigger)}-${stamp}`;
}

export function validateAwsSnapshotArgs(a: AwsSnapshotArgs): void {
  triggerSlug("AwsSnapshot", a.trigger);
  const db = a.dbInstanceIdentifier ?? "runbook-db";
  if (!/^[a-zA-Z](?:-?[a-zA-Z0-9])*$/.test(db) || db.length > 63) {
    throw new Error(`AwsSnapshot: dbInstanceIdentifier must be an RDS identifier (a letter, then letters, digits and single hyphens; got ${JSON.stringify(db)})`);
  }
  const id = snapshotIdentifier(a.service, a.trigger, a.now ?? new Date());
  if (!/^[a-zA-Z](?:-?[a-zA-Z0-9])*$/.test(id) || id.length > 255) {
    throw new Error(`AwsSnapshot: service "${a.service}" does not make an RDS snapshot identifier (got ${JSON.stringify(id)})`);
  }
}

export class AwsSnapshot extends pulumi.ComponentResource {
  readonly snapshotId: pulumi.Output<string>;
  readonly takenAt: pulumi.Output<string>;
  readonly verified: pulumi.Output<boolean>;
  readonly snapshot: aws.rds.Snapshot;

  constructor(name: string, args: AwsSnapshotArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(`${PKG}:backup:AwsSnapshot`, name, {}, opts);
    validateAwsSnapshotArgs(args);
    const now = args.now ?? new Date();
    // The resource name carries the trigger: a new trigger is a new snapshot. retainOnDelete keeps
    // every snapshot in the account when its trigger leaves the program and on `pulumi destroy`.
    // Not `protect`: the engine refuses to remove a protected resource from the stack even with
    // retainOnDelete, so the next promotion would fail ("unable to delete resource ... as it is
    // currently marked for protection") as soon as the trigger changed.
    // The identifier and the taken-at tag are computed from the time of the update that creates the
    // snapshot; ignoreChanges keeps both from the creation on, so later updates do not replace it.
    this.snapshot = new aws.rds.Snapshot(
      `${name}-${triggerSlug("AwsSnapshot", args.trigger)}`,
      {
        dbInstanceIdentifier: args.dbInstanceIdentifier ?? "runbook-db",
        dbSnapshotIdentifier: snapshotIdentifier(args.service, args.trigger, now),
        tags: { app: args.service, [TRIGGER_TAG]: args.trigger, [TAKEN_AT_TAG]: now.toISOString() },
      },
      { parent: this, retainOnDelete: true, ignoreChanges: ["dbSnapshotIdentifier", `tags["${TAKEN_AT_TAG}"]`] },
    );
    this.snapshotId = this.snapshot.dbSnapshotIdentifier;
    this.takenAt = this.snapshot.tags.apply((t) => t?.[TAKEN_AT_TAG] ?? now.toISOString());
    // The provider returns once the snapshot is "available": a usable backup.
    this.verified = this.snapshot.status.apply((s) => s === "available");
    this.registerOutputs({ snapshotId: this.snapshotId, takenAt: this.takenAt, verified: this.verified });
  }
}
