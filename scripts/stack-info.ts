// Reads a stack's config and outputs through the project's engine wrapper, for the commands that
// work on a running stack (health, db:*).
import { spawnSync } from "child_process";
import * as path from "path";
import { CONFIG_NAMESPACE, StackConfig, StackConfigError, nestConfig, parseStackConfig } from "../components/config/stack-config";
import { UsageError } from "./cli-args";

const ROOT = path.resolve(__dirname, "..", "..");

function pulumi(args: string[], stack: string): string {
  const r = spawnSync(process.execPath, [path.join(ROOT, "scripts", "pulumi.js"), ...args, "--stack", stack], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) {
    const msg = `${r.stderr}${r.stdout}`.trim();
    if (/no stack named/i.test(msg)) throw new UsageError(`--env ${JSON.stringify(stack)}: no such stack (list them with npm run pulumi -- stack ls)`);
    throw new Error(`pulumi ${args[0]} for stack ${stack} failed: ${msg}`);
  }
  return r.stdout;
}

export interface StackInfo {
  name: string;
  config: StackConfig;
  /** The config keys outside the project's namespace, such as kubernetes:kubeconfig. */
  providerConfig: Record<string, string>;
  /** Every config key as the engine lists it (namespaced, flat, secrets shown): what a command edits. */
  rawConfig: Record<string, string>;
  outputs: Record<string, unknown>;
}

export function readStack(stack: string): StackInfo {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(stack)) throw new UsageError(`--env ${JSON.stringify(stack)} is not a stack name (letters, digits, '.', '_' and '-')`);
  const raw = JSON.parse(pulumi(["config", "--json", "--show-secrets"], stack)) as Record<string, { value?: string; objectValue?: unknown; secret?: boolean }>;
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) flat[k] = v.objectValue !== undefined ? JSON.stringify(v.objectValue) : String(v.value ?? "");
  let config: StackConfig;
  try {
    config = parseStackConfig(nestConfig(flat));
  } catch (e) {
    // The engine hides secret values in what a program prints; outside it, this does the same.
    if (!(e instanceof StackConfigError)) throw e;
    const secrets = Object.values(raw).filter((v) => v.secret).flatMap((v) => leaves(v.objectValue ?? v.value));
    throw new StackConfigError(e.problems.map((p) => maskSecrets(p, secrets)));
  }
  const outputs = JSON.parse(pulumi(["stack", "output", "--json", "--show-secrets"], stack) || "{}");
  const providerConfig = Object.fromEntries(Object.entries(flat).filter(([k]) => !k.startsWith(`${CONFIG_NAMESPACE}:`)));
  return { name: stack, config, providerConfig, rawConfig: flat, outputs };
}

/** Every string in a config value (a secret may be a whole object set with --path). */
export function leaves(v: unknown): string[] {
  if (typeof v === "string") return v ? [v] : [];
  if (typeof v === "object" && v !== null) return Object.values(v).flatMap(leaves);
  return v === undefined || v === null ? [] : [String(v)];
}

/** `text` with each secret value, raw or JSON-quoted, replaced by [secret]. */
export function maskSecrets(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    out = out.split(JSON.stringify(secret).slice(1, -1)).join("[secret]").split(secret).join("[secret]");
  }
  return out;
}
