// Flags of `npm run migrate`, apart from the process around it so their errors are unit tested.
import { STACK_NAME, UsageError, parseFlags } from "./cli-args";

export const USAGE = "npm run migrate -- --env <stack> [--down <n>] [--dry-run] [--allow-incompatible] [--json]";

export interface MigrateRequest {
  stack: string;
  /** Revert the last n applied migrations (the runbook's rollback_migration.sh --steps n); undefined: apply the pending ones. */
  down?: number;
  dryRun: boolean;
  allowIncompatible: boolean;
  json: boolean;
}

export function parseMigrateArgs(argv: string[]): MigrateRequest {
  const flags = parseFlags(
    argv,
    {
      env: { type: "string", description: "stack" },
      down: { type: "string", description: "revert the last n migrations" },
      "dry-run": { type: "boolean", description: "print the SQL, change nothing" },
      "allow-incompatible": { type: "boolean", description: "apply statements the running release cannot survive" },
      json: { type: "boolean", description: "JSON output" },
    },
    USAGE,
  );
  if (!flags.env) throw new UsageError(`--env is required\nusage: ${USAGE}`);
  if (!STACK_NAME.test(flags.env)) throw new UsageError(`--env ${JSON.stringify(flags.env)} is not a stack name (letters, digits, '.', '_' and '-')`);
  let down: number | undefined;
  if (flags.down !== undefined) {
    if (!/^[1-9][0-9]{0,5}$/.test(flags.down)) throw new UsageError(`--down ${JSON.stringify(flags.down)} is not allowed (allowed: a positive integer, the number of migrations to revert, e.g. --down 1)\nusage: ${USAGE}`);
    down = Number(flags.down);
    // Reverting never runs an up migration, so there is nothing for the check to allow.
    if (flags["allow-incompatible"]) throw new UsageError(`--allow-incompatible goes with applying migrations, not with --down (allowed with --down: --env, --dry-run, --json)\nusage: ${USAGE}`);
  }
  return { stack: flags.env, down, dryRun: flags["dry-run"] === true, allowIncompatible: flags["allow-incompatible"] === true, json: flags.json === true };
}
