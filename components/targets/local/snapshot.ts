// The local target's backup snapshot: taken in the same `up`, before any traffic moves toward the
// newer release, and verified by a restore.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { lazyProvider } from "../../dynamic/lazy-provider";
import { PKG } from "../../types";

export interface LocalSnapshotArgs {
  /** Stack and service, for the snapshot's name. */
  stack: string;
  service: string;
  /** Changing this takes a new snapshot. */
  trigger: string;
  /** The database to snapshot (a secret). */
  databaseUrl: pulumi.Input<string>;
  /** Folder the snapshots are written to. */
  directory: string;
}

class PgSnapshot extends pulumi.dynamic.Resource {
  declare readonly snapshotId: pulumi.Output<string>;
  declare readonly takenAt: pulumi.Output<string>;
  declare readonly verified: pulumi.Output<boolean>;
  declare readonly sizeBytes: pulumi.Output<number>;
  declare readonly sha256: pulumi.Output<string>;
  declare readonly durationMs: pulumi.Output<number>;
  constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts: pulumi.CustomResourceOptions) {
    const outs = { snapshotId: undefined, takenAt: undefined, verified: undefined, sizeBytes: undefined, sha256: undefined, durationMs: undefined, file: undefined, tables: undefined };
    super(lazyProvider(path.join(__dirname, "snapshot-provider.js"), "localSnapshotProvider"), name, { runbook: "snapshot", ...props, ...outs }, opts);
  }
}

export class LocalSnapshot extends pulumi.ComponentResource {
  readonly snapshotId: pulumi.Output<string>;
  readonly takenAt: pulumi.Output<string>;
  readonly verified: pulumi.Output<boolean>;
  readonly sizeBytes: pulumi.Output<number>;
  readonly durationMs: pulumi.Output<number>;

  constructor(name: string, args: LocalSnapshotArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(`${PKG}:backup:LocalSnapshot`, name, {}, opts);
    const snap = new PgSnapshot(
      `${name}-pgdump`,
      { stack: args.stack, service: args.service, trigger: args.trigger, databaseUrl: pulumi.secret(args.databaseUrl), directory: args.directory },
      // Snapshots are data: replacing the resource must never delete the dump.
      { parent: this, retainOnDelete: true, additionalSecretOutputs: ["databaseUrl"] },
    );
    this.snapshotId = snap.snapshotId;
    this.takenAt = snap.takenAt;
    this.verified = snap.verified;
    this.sizeBytes = snap.sizeBytes;
    this.durationMs = snap.durationMs;
    this.registerOutputs({ snapshotId: this.snapshotId, takenAt: this.takenAt, verified: this.verified, sizeBytes: this.sizeBytes });
  }
}
