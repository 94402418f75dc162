// The local target's backup: taken in the same `up`, before any traffic moves toward the
// newer release, and verified by a restore.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { lazyProvider } from "../../dynamic/lazy-provider";
import { ROLE_PROPERTY, ROLES } from "../../roles";
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

class PgBackup extends pulumi.dynamic.Resource {
  declare readonly backupId: pulumi.Output<string>;
  declare readonly takenAt: pulumi.Output<string>;
  declare readonly verified: pulumi.Output<boolean>;
  declare readonly sizeBytes: pulumi.Output<number>;
  declare readonly sha256: pulumi.Output<string>;
  declare readonly durationMs: pulumi.Output<number>;
  constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts: pulumi.CustomResourceOptions) {
    const outs = { backupId: undefined, takenAt: undefined, verified: undefined, sizeBytes: undefined, sha256: undefined, durationMs: undefined, file: undefined, tables: undefined };
    super(lazyProvider(path.join(__dirname, "backup-provider.js"), "localBackupProvider"), name, { [ROLE_PROPERTY]: ROLES.backup, ...props, ...outs }, opts);
  }
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
    const dump = new PgBackup(
      `${name}-pgdump`,
      { stack: args.stack, service: args.service, trigger: args.trigger, databaseUrl: pulumi.secret(args.databaseUrl), directory: args.directory },
      // Backups are data: replacing the resource must never delete the dump.
      { parent: this, retainOnDelete: true, additionalSecretOutputs: ["databaseUrl"] },
    );
    this.backupId = dump.backupId;
    this.takenAt = dump.takenAt;
    this.verified = dump.verified;
    this.sizeBytes = dump.sizeBytes;
    this.durationMs = dump.durationMs;
    this.registerOutputs({ backupId: this.backupId, takenAt: this.takenAt, verified: this.verified, sizeBytes: this.sizeBytes });
  }
}
