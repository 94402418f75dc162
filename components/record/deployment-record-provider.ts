// Runs in the dynamic provider process: writes the record file, appends the announcement to the
// stack's log, and posts it to the webhook when one is configured, signed like the rollout
// commands' notifications (components/notify/signed-webhook.ts) so one receiver verifies both.
// Never logs the webhook URL or the signing key.
import * as fs from "fs";
import * as path from "path";
import axios from "axios";
import * as pulumi from "@pulumi/pulumi";
import { signedHeaders } from "../notify/signed-webhook";
import { announcement } from "./announcement";

/* eslint-disable @typescript-eslint/no-explicit-any */
function recordFile(inputs: any): string {
  return path.join(inputs.directory, `${inputs.project}-${inputs.stack}-${inputs.service}.json`);
}

async function write(inputs: any): Promise<any> {
  const at = new Date().toISOString();
  const text = announcement({ stack: inputs.stack, service: inputs.service, plan: inputs.plan, versions: inputs.versions, hotfix: inputs.hotfix, at });
  fs.mkdirSync(inputs.directory, { recursive: true });
  const file = recordFile(inputs);
  const { webhookUrl, signingKey, ...publicInputs } = inputs;
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ ...publicInputs, announcement: text, writtenAt: at }, null, 2));
  fs.renameSync(tmp, file);
  fs.appendFileSync(file.replace(/\.json$/, ".log"), `${text}\n\n`);
  if (webhookUrl) {
    try {
      // The generic webhook's body shape; the event is the record's, not a rollout's.
      const body = JSON.stringify({
        event: { type: "deployment-record", at, stack: inputs.stack, service: inputs.service, kind: inputs.plan?.kind },
        template: "announcement",
        text,
        fields: { stack: inputs.stack, service: inputs.service, time: at },
      });
      const headers = { "content-type": "application/json", ...(signingKey ? signedHeaders(body, signingKey) : {}) };
      await axios.post(webhookUrl, body, { timeout: 5000, headers, transformRequest: [(d) => d] });
    } catch (e) {
      // A notification failure must not fail a deployment or a rollback; say so without the URL.
      const status = axios.isAxiosError(e) ? (e.response?.status ?? e.code) : "error";
      fs.appendFileSync(file.replace(/\.json$/, ".log"), `(webhook notification failed: ${status})\n\n`);
    }
  }
  return { ...inputs, announcement: text, file };
}

export const deploymentRecordProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    const outs = await write(inputs);
    return { id: recordFile(inputs), outs };
  },
  async diff(_id, olds, news) {
    const strip = ({ announcement: _a, file: _f, __provider: _p, ...rest }: any) => rest;
    const changes = JSON.stringify(strip(olds)) !== JSON.stringify(strip(news));
    // A new file name (another stack or service) is a new record.
    const replaces = recordFile(olds) !== recordFile(news) ? ["directory"] : [];
    return { changes, replaces, deleteBeforeReplace: false };
  },
  async update(_id, _olds, news) {
    return { outs: await write(news) };
  },
  async delete(id) {
    fs.rmSync(id, { force: true });
  },
};
