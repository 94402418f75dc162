// Runbook: credentials never sit in plain text. Webhook URLs, passwords and tokens in the stack
// config must be Pulumi secrets (encrypted in Pulumi.<stack>.yaml, masked in outputs and logs).
import { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { options } from "./config";
import { neverBlocked, readRecord } from "./record";

export interface SecretsOptions {
  ignoreKeys: string[];
}

export const secretsSchema: PolicyConfigSchema = {
  properties: {
    ignoreKeys: {
      type: "array",
      items: { type: "string" },
      default: [],
      description:
        'Full config keys that look sensitive but are not, e.g. "deployment-runbook:notifications.webhookUrl" for a public test hook. Defaults to none.',
    },
  },
};

/** The command that makes `key` a secret; --path for a nested key (namespace:a.b). */
export function secretCommand(key: string, stack: string): string {
  const nested = key.slice(key.indexOf(":") + 1).includes(".");
  return `pulumi config set --secret${nested ? " --path" : ""} ${key} <value> --stack ${stack}`;
}

export const secrets: ResourceValidationPolicy = {
  name: "secrets",
  description: "Checks that every sensitive stack config value (webhook URLs, passwords, tokens) is a Pulumi secret.",
  // Mandatory: a plain-text credential ends up committed with the stack file.
  enforcementLevel: "mandatory",
  configSchema: secretsSchema,
  validateResource: (args, report) => {
    const record = readRecord(args.type, args.props);
    // A rollback or a hold adds no exposure (the value is already in the stack file); the next
    // promotion is refused until it is fixed.
    if (!record || neverBlocked(record.plan.kind)) return;
    const o = options<SecretsOptions>(args, secretsSchema);
    for (const { key, secret } of record.sensitiveConfig) {
      if (secret === true || o.ignoreKeys.includes(key)) continue;
      report(`config key \`${key}\` is stored in plain text; make it a secret: \`${secretCommand(key, record.stack)}\``);
    }
  },
};
