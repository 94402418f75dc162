// The backup taken before traffic moves on the kubernetes target, in one of two modes:
// - volume-snapshot: a CSI VolumeSnapshot of the database's PersistentVolumeClaim (clusters with a
//   CSI driver that can snapshot);
// - pg-dump: a pg_dump of the database taken from the program's side, verified by a restore, for a
//   database outside the cluster (managed PostgreSQL) or a cluster without snapshot support.
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PgDumpBackup, PgDumpBackupArgs } from "../../backup/pg-dump-backup";
import { stateDir } from "../../state-dir";
import { ROLE_LABEL, ROLES } from "../../roles";
import { PKG } from "../../types";
import { triggerSlug } from "../../backup/backup-name";

export interface KubernetesBackupArgs {
  /** Service name (`service.name`), a label on the backup. */
  service: string;
  /** Changing this takes a new backup (BlueGreenService passes the release being promoted). */
  trigger: string;
  /** The database's PersistentVolumeClaim. Defaults to "postgres-data". */
  claimName?: string;
  /** VolumeSnapshotClass of the CSI driver. Defaults to "csi-snapclass". */
  snapshotClass?: string;
  /** Namespace of the claim and the backup. Defaults to "default". */
  namespace?: string;
}

export function validateKubernetesBackupArgs(a: KubernetesBackupArgs): void {
  triggerSlug("KubernetesBackup", a.trigger);
  for (const k of ["claimName", "snapshotClass"] as const) {
    const v = a[k];
    if (v !== undefined && !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(v)) {
      throw new Error(`KubernetesBackup: ${k} must be a Kubernetes object name (got ${JSON.stringify(v)})`);
    }
  }
}

export class KubernetesBackup extends pulumi.ComponentResource {
  readonly backupId: pulumi.Output<string>;
  readonly takenAt: pulumi.Output<string>;
  readonly verified: pulumi.Output<boolean>;
  readonly volumeSnapshot: k8s.apiextensions.CustomResource;

  constructor(name: string, args: KubernetesBackupArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(`${PKG}:kubernetes:KubernetesBackup`, name, {}, opts);
    validateKubernetesBackupArgs(args);
    const namespace = args.namespace ?? "default";
    const updateTime = new Date().toISOString();
    // The resource name carries the trigger: a new trigger is a new backup, and the previous one
    // leaves the program. retainOnDelete keeps it (and every other) in the cluster when that
    // happens and on `pulumi destroy`: Pulumi never deletes a backup.
    //
    // Not `protect`: the engine refuses to delete a protected resource from the stack even with
    // retainOnDelete, so a protected backup would fail the next promotion ("unable to delete
    // resource ... as it is currently marked for protection") the moment its trigger changes.
    this.volumeSnapshot = new k8s.apiextensions.CustomResource(
      `${name}-${triggerSlug("KubernetesBackup", args.trigger)}`,
      {
        apiVersion: "snapshot.storage.k8s.io/v1",
        kind: "VolumeSnapshot",
        metadata: {
          // No fixed metadata.name: retained backups stay in the cluster, so promoting the same
          // release twice must not collide with the first one; Pulumi auto-names with a suffix.
          namespace,
          labels: { app: args.service, [ROLE_LABEL]: ROLES.backup },
          // The provider waits until the CSI driver reports the backup usable, so the router
          // (which depends on this component) moves no traffic before the backup exists.
          annotations: { "pulumi.com/waitFor": "jsonpath={.status.readyToUse}=true", "runbook/trigger": args.trigger },
        },
        spec: {
          volumeSnapshotClassName: args.snapshotClass ?? "csi-snapclass",
          source: { persistentVolumeClaimName: args.claimName ?? "postgres-data" },
        },
        // Declared so the CustomResource exposes the provider's `status` as an output.
        status: undefined,
      },
      { parent: this, retainOnDelete: true },
    );
    const status = (this.volumeSnapshot as unknown as { status: pulumi.Output<VolumeSnapshotStatus | undefined> }).status;
    this.backupId = pulumi.interpolate`${namespace}/${this.volumeSnapshot.metadata.name}`;
    this.takenAt = pulumi
      .all([status, this.volumeSnapshot.metadata])
      .apply(([s, m]) => s?.creationTime ?? m?.creationTimestamp ?? updateTime);
    this.verified = status.apply((s) => s?.readyToUse === true);
    this.registerOutputs({ backupId: this.backupId, takenAt: this.takenAt, verified: this.verified });
  }
}

interface VolumeSnapshotStatus {
  creationTime?: string;
  readyToUse?: boolean;
  boundVolumeSnapshotContentName?: string;
}

/** Where the pg-dump mode keeps one stack's dumps on the machine that runs the program. */
export function kubernetesBackupsDir(stack: string, service: string): string {
  const slug = (v: string) => v.toLowerCase().replace(/[^a-z0-9-]+/g, "-");
  return path.join(stateDir(), "backups", `k8s-${slug(stack)}-${slug(service)}`);
}

export class KubernetesDumpBackup extends pulumi.ComponentResource {
  readonly backupId: pulumi.Output<string>;
  readonly takenAt: pulumi.Output<string>;
  readonly verified: pulumi.Output<boolean>;
  readonly dump: PgDumpBackup;

  constructor(name: string, args: PgDumpBackupArgs & { trigger: string }, opts: pulumi.ComponentResourceOptions = {}) {
    super(`${PKG}:kubernetes:KubernetesDumpBackup`, name, {}, opts);
    triggerSlug("KubernetesDumpBackup", args.trigger);
    this.dump = new PgDumpBackup(`${name}-pgdump`, args, { parent: this });
    this.backupId = this.dump.backupId;
    this.takenAt = this.dump.takenAt;
    this.verified = this.dump.verified;
    this.registerOutputs({ backupId: this.backupId, takenAt: this.takenAt, verified: this.verified });
  }
}
