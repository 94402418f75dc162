// Flags of the troubleshooting commands (npm run logs, npm run errors), apart from the process
// around them so their errors can be tested without a child process.
import { DURATION_FORMAT, parseDuration } from "../components/rollout/duration";
import { COLORS, Color } from "../components/types";
import { STACK_NAME, UsageError, parseFlags } from "./cli-args";

export const LOGS_USAGE = "npm run logs -- --env <stack> [--color blue|green] [--since 10m] [--follow]";
export const ERRORS_USAGE = "npm run errors -- --env <stack> [--color blue|green] [--since 10m] [--json]";

export interface TroubleshootRequest {
  stack: string;
  colors: Color[];
  sinceMs?: number;
  follow: boolean;
  json: boolean;
}

export function parseTroubleshootArgs(command: "logs" | "errors", argv: string[]): TroubleshootRequest {
  const usage = command === "logs" ? LOGS_USAGE : ERRORS_USAGE;
  const flags = parseFlags(
    argv,
    {
      env: { type: "string", description: "stack" },
      color: { type: "string", description: "one color", choices: COLORS },
      since: { type: "string", description: "how far back" },
      ...(command === "logs" ? { follow: { type: "boolean" as const, description: "keep printing new lines" } } : { json: { type: "boolean" as const, description: "JSON output" } }),
    },
    usage,
  ) as { env?: string; color?: string; since?: string; follow?: boolean; json?: boolean };
  if (!flags.env) throw new UsageError(`--env is required\nusage: ${usage}`);
  if (!STACK_NAME.test(flags.env)) throw new UsageError(`--env ${JSON.stringify(flags.env)} is not a stack name (letters, digits, '.', '_' and '-')`);
  let sinceMs: number | undefined;
  if (flags.since !== undefined) {
    sinceMs = parseDuration(flags.since);
    if (sinceMs === undefined || sinceMs <= 0) throw new UsageError(`--since ${JSON.stringify(flags.since)} is not allowed (allowed: ${DURATION_FORMAT})\nusage: ${usage}`);
  }
  // errors looks back 10 minutes unless told: the runbook's "error rate spike post-deployment".
  if (command === "errors" && sinceMs === undefined) sinceMs = 10 * 60_000;
  return {
    stack: flags.env,
    colors: flags.color ? [flags.color as Color] : [...COLORS],
    sinceMs,
    follow: flags.follow === true,
    json: flags.json === true,
  };
}
