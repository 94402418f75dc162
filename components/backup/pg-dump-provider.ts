// Runs in the dynamic provider process: takes and verifies a pg_dump backup. A new trigger (the
// release being promoted) replaces the resource, which takes a new backup; the old backup's
// files stay on disk (the resource is retainOnDelete).
import * as pulumi from "@pulumi/pulumi";
import { takeBackup } from "./pg-dump";

/* eslint-disable @typescript-eslint/no-explicit-any */
export const pgDumpBackupProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id, olds, news) {
    const replaces = ["trigger", "directory", "stack", "service"].filter((k) => olds[k] !== news[k]);
    // A backup recorded before "backup" was the word has `snapshotId`: renaming it is an update.
    const renamed = olds.backupId === undefined && olds.snapshotId !== undefined;
    return { changes: replaces.length > 0 || renamed, replaces, deleteBeforeReplace: false };
  },
  async update(_id, olds: any, news: any) {
    // Only reached without a new trigger: the dump stays the same, its fields get today's names.
    const { snapshotId, __provider: _p, ...kept } = olds;
    const inputs = Object.fromEntries(Object.entries(news).filter(([, v]) => v !== undefined));
    return { outs: { ...kept, ...inputs, backupId: olds.backupId ?? snapshotId } };
  },
  async create(inputs: any) {
    const info = await takeBackup(inputs.databaseUrl, inputs.directory, `${inputs.stack}-${inputs.service}`.toLowerCase().replace(/[^a-z0-9-]+/g, "-"));
    return { id: info.backupId, outs: { ...inputs, ...info } };
  },
};
