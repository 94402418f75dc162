// The local target's backup: taken in the same `up`, before any traffic moves toward the
// newer release, and verified by a restore.
import * as pulumi from "@pulumi/pulumi";
import { PgDumpBackup } from "../../backup/pg-dump-backup";
import { OLD_PKG, PKG } from "../../types";

export interface LocalBackupArgs {
  /** Stack and service, for the backup's name. */
  stack: string;
  service: string;
  /** Changing this takes a new backup. */
  trigger: string;
  /** The database to backup (a secret). */
  databaseUrl: pulumi.Input<string>;
  /** Folder the backups are written to. */
  directory: string;
}

export class LocalBackup extends pulumi.ComponentResource {
  readonly backupId: pulumi.Output<string>;
  readonly takenAt: pulumi.Output<string>;
  readonly verified: pulumi.Output<boolean>;
  readonly sizeBytes: pulumi.Output<number>;
  readonly durationMs: pulumi.Output<number>;

  constructor(name: string, args: LocalBackupArgs, opts: pulumi.ComponentResourceOptions = {}) {
    // Stacks made before "backup" was the word know this as `<service>-snapshot`, a LocalSnapshot.
    const before = { type: `${OLD_PKG}:backup:LocalSnapshot`, name: name.replace(/-backup$/, "-snapshot") };
    super(`${PKG}:local:LocalBackup`, name, {}, pulumi.mergeOptions(opts, { aliases: [before] }));
    const dump = new PgDumpBackup(
      `${name}-pgdump`,
      { stack: args.stack, service: args.service, trigger: args.trigger, databaseUrl: args.databaseUrl, directory: args.directory },
      { parent: this },
    );
    this.backupId = dump.backupId;
    this.takenAt = dump.takenAt;
    this.verified = dump.verified;
    this.sizeBytes = dump.sizeBytes;
    this.durationMs = dump.durationMs;
    this.registerOutputs({ backupId: this.backupId, takenAt: this.takenAt, verified: this.verified, sizeBytes: this.sizeBytes });
  }
}
