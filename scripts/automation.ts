// The Pulumi Automation API with this project's engine settings (the same as `npm run pulumi`:
// scripts/engine-env.js): the engine binary, PULUMI_HOME, the file backend, the passphrase of
// throwaway stacks, and the policy pack on every `up`. What a rollout does is then exactly the
// config edits and `up`s a person would type.
import * as path from "path";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { CONFIG_NAMESPACE } from "../components/config/schema-helpers";
import { NOTIFIED_BY_COMMAND_ENV } from "../components/notify/notify-config";
import { STACK_NAME, UsageError } from "./cli-args";

export const ROOT = path.resolve(__dirname, "..", "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const engineEnv = require(path.join(ROOT, "scripts", "engine-env.js"));

export { STACK_NAME };

export interface ProjectStack {
  stack: Stack;
  name: string;
  /** Sets `deployment-runbook:<key>` (a --path key, as `npm run pulumi -- config set --path`). */
  setConfig(key: string, value: string): Promise<void>;
  /** `up` with the policy pack (RUNBOOK_POLICIES=off and RUNBOOK_POLICY_CONFIG as in `npm run pulumi`). */
  up(log?: (line: string) => void): Promise<{ outputs: Record<string, unknown>; ms: number }>;
  outputs(): Promise<Record<string, unknown>>;
  /** The state, as `pulumi stack export` gives it. */
  exportDeployment(): Promise<{ resources?: { type?: string; outputs?: Record<string, unknown> }[] }>;
}

/** Opens an existing stack; an unknown name is a usage error listing the stacks there are. */
export async function openStack(name: string, flag = "--env"): Promise<ProjectStack> {
  if (!STACK_NAME.test(name)) throw new UsageError(`${flag} ${JSON.stringify(name)} is not a stack name (letters, digits, '.', '_' and '-')`);
  engineEnv.ensureInstalled(ROOT);
  engineEnv.ensureBuilt(ROOT);
  const bin: string | undefined = engineEnv.ensureEngine(ROOT);
  const env = engineEnv.pulumiEnv(ROOT, bin, name) as NodeJS.ProcessEnv;
  const envVars = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === "string"));
  // These commands send their own notifications (components/notify); the program's record does not.
  envVars[NOTIFIED_BY_COMMAND_ENV] = "1";
  const pulumiCommand = await PulumiCommand.get({ ...(bin ? { root: path.dirname(bin) } : {}), skipVersionCheck: true });
  const ws = await LocalWorkspace.create({ workDir: ROOT, pulumiCommand, envVars });
  const known = (await ws.listStacks()).map((s) => s.name);
  if (!known.includes(name)) {
    throw new UsageError(`${flag} ${JSON.stringify(name)}: no such stack (stacks here: ${known.length ? known.join(", ") : "none"})`);
  }
  const stack = await Stack.select(name, ws);
  return {
    stack,
    name,
    setConfig: (key, value) => stack.setConfig(`${CONFIG_NAMESPACE}:${key}`, { value }, true),
    async up(log) {
      const started = Date.now();
      const policies = process.env.RUNBOOK_POLICIES === "off" ? undefined : [path.join(ROOT, "policies")];
      const policyConfig = process.env.RUNBOOK_POLICY_CONFIG;
      try {
        const r = await stack.up({
          policyPacks: policies,
          policyPackConfigs: policies && policyConfig ? [policyConfig] : undefined,
          color: "never",
          onOutput: log ? (out) => out.split("\n").forEach((l) => l.trim() && log(l)) : undefined,
        });
        return { outputs: Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, v.value])), ms: Date.now() - started };
      } catch (e) {
        throw new Error(upFailure(e as Error));
      }
    },
    async outputs() {
      return Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value]));
    },
    async exportDeployment() {
      return (await stack.exportStack()).deployment as never;
    },
  };
}

/**
 * The part of a failed `up`'s output a person needs: the diagnostics (the gate's report, the
 * policy's message), not the engine's progress lines or the command line.
 */
export function upFailure(e: Error): string {
  const result = (e as { commandResult?: { stdout?: string; stderr?: string } }).commandResult;
  const text = `${result?.stdout ?? ""}\n${result?.stderr ?? ""}`;
  const lines = text.split("\n");
  const from = lines.findIndex((l) => /^(Diagnostics|Policy Violations):/.test(l.trim()));
  if (from < 0) return `up failed: ${e.message.split("\n").slice(0, 20).join("\n")}`;
  const end = lines.findIndex((l, i) => i > from && /^(Outputs|Resources|Duration):/.test(l.trim()));
  const picked = lines
    .slice(from + 1, end < 0 ? undefined : end)
    .filter((l) => l.trim() && !/error: update failed$/.test(l) && !/^\s*pulumi:pulumi:Stack \(/.test(l))
    .map((l) => l.replace(/^\s{2}/, ""));
  return `up failed:\n${picked.join("\n")}`;
}
