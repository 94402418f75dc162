// Reads the stack config from the engine and validates it. Bad input becomes a RunError, which the
// engine prints without a stack trace, before any resource is registered.
import * as pulumi from "@pulumi/pulumi";
import { parseConfigValue } from "./config-value";
import { CONFIG_NAMESPACE, StackConfig, StackConfigError, nestConfig, parseStackConfig } from "./stack-config";
import { SensitiveConfigKey } from "../record/deployment-record";

// Connection URLs (databaseUrl, redisUrl) carry passwords: they are judged like passwords; a
// webhook's signing key (notifications.signingKey) is one too.
const SENSITIVE = /(password|passphrase|token|secret|webhook|signingkey|apikey|api_key|credentials?|databaseurl|redisurl)/i;

/** Keys the engine was told are secrets (the Node.js SDK's documented environment variable). */
export function secretConfigKeys(): Set<string> {
  try {
    return new Set<string>(JSON.parse(process.env.PULUMI_CONFIG_SECRET_KEYS ?? "[]"));
  } catch {
    return new Set();
  }
}

/** Sensitive-looking leaves of our namespace's config, and whether each one's key is a secret. */
export function sensitiveConfigKeys(flat: Record<string, string>, secrets: Set<string>): SensitiveConfigKey[] {
  const found: SensitiveConfigKey[] = [];
  const visit = (topKey: string, path: string, value: unknown) => {
    if (typeof value === "object" && value !== null) {
      for (const [k, v] of Object.entries(value)) visit(topKey, `${path}.${k}`, v);
    } else if (SENSITIVE.test(path.split(":").pop()!)) {
      found.push({ key: path, secret: secrets.has(topKey) });
    }
  };
  for (const [key, raw] of Object.entries(flat)) {
    if (!key.startsWith(`${CONFIG_NAMESPACE}:`)) continue;
    visit(key, key, parseConfigValue(raw));
  }
  return found;
}

export function readStackConfig(): { config: StackConfig; sensitive: SensitiveConfigKey[] } {
  const flat = pulumi.runtime.allConfig();
  try {
    return { config: parseStackConfig(nestConfig(flat)), sensitive: sensitiveConfigKeys(flat, secretConfigKeys()) };
  } catch (e) {
    if (e instanceof StackConfigError) throw new pulumi.RunError(`${e.message}\nNothing was changed.`);
    throw e;
  }
}
