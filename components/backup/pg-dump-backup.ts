// A verified pg_dump backup as a resource, taken in the `up` that promotes, before any traffic moves
// toward the newer release. Any target whose database the program can reach uses it.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LazyDynamicResource } from "../dynamic/lazy-provider";
import { ROLE_PROPERTY, ROLES } from "../roles";

export interface PgDumpBackupArgs {
  /** Stack and service, for the backup's name. */
  stack: pulumi.Input<string>;
  service: pulumi.Input<string>;
  /** Changing this takes a new backup. */
  trigger: pulumi.Input<string>;
  /** The database to back up (a secret: it carries a password). */
  databaseUrl: pulumi.Input<string>;
  /** Folder the dumps are written to. */
  directory: pulumi.Input<string>;
}

export class PgDumpBackup extends LazyDynamicResource {
  declare readonly backupId: pulumi.Output<string>;
  declare readonly takenAt: pulumi.Output<string>;
  declare readonly verified: pulumi.Output<boolean>;
  declare readonly sizeBytes: pulumi.Output<number>;
  declare readonly sha256: pulumi.Output<string>;
  declare readonly durationMs: pulumi.Output<number>;
  constructor(name: string, args: PgDumpBackupArgs, opts: pulumi.CustomResourceOptions = {}) {
    const outs = { backupId: undefined, takenAt: undefined, verified: undefined, sizeBytes: undefined, sha256: undefined, durationMs: undefined, file: undefined, tables: undefined };
    super(
      { module: path.join(__dirname, "pg-dump-provider.js"), export: "pgDumpBackupProvider" },
      name,
      { [ROLE_PROPERTY]: ROLES.backup, ...args, databaseUrl: pulumi.secret(args.databaseUrl), ...outs },
      // Backups are data: replacing the resource must never delete the dump.
      pulumi.mergeOptions(opts, { retainOnDelete: true, additionalSecretOutputs: ["databaseUrl"] }),
    );
  }
}
