// Runs in the dynamic provider process: takes and verifies a pg_dump snapshot. A new trigger (the
// release being promoted) replaces the resource, which takes a new snapshot; the old snapshot's
// files stay on disk (the resource is retainOnDelete).
import * as pulumi from "@pulumi/pulumi";
import { takeSnapshot } from "./pg-snapshot";

/* eslint-disable @typescript-eslint/no-explicit-any */
export const localSnapshotProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id, olds, news) {
    const replaces = ["trigger", "directory", "stack", "service"].filter((k) => olds[k] !== news[k]);
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
  },
  async create(inputs: any) {
    const info = await takeSnapshot(inputs.databaseUrl, inputs.directory, `${inputs.stack}-${inputs.service}`.toLowerCase().replace(/[^a-z0-9-]+/g, "-"));
    return { id: info.snapshotId, outs: { ...inputs, ...info } };
  },
};
