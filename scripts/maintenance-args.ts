// Flags of `npm run maintenance`, apart from the process around it so their errors are unit tested.
import { maintenanceConfigSchema } from "../components/config/maintenance-config";
import { STACK_NAME, UsageError, parseFlags } from "./cli-args";

export const USAGE = 'npm run maintenance -- --env <stack> on|off [--retry-after <seconds>] [--message "<one sentence>"] [--json]';

export interface MaintenanceRequest {
  stack: string;
  on: boolean;
  retryAfterSeconds?: number;
  message?: string;
  json: boolean;
}

const VALUE_FLAGS = new Set(["--env", "--retry-after", "--message"]);

export function parseMaintenanceArgs(argv: string[]): MaintenanceRequest {
  // on|off may stand anywhere, as in the issue's `--env <stack> on`; a flag's value is not it.
  const verbs: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (VALUE_FLAGS.has(argv[i]) && i + 1 < argv.length) rest.push(argv[i], argv[++i]);
    else if (!argv[i].startsWith("-")) verbs.push(argv[i]);
    else rest.push(argv[i]);
  }
  if (verbs.length !== 1 || !["on", "off"].includes(verbs[0])) {
    throw new UsageError(`${verbs.length ? `${verbs.map((v) => JSON.stringify(v)).join(" ")} is not allowed` : "on or off is required"} (allowed: on, off)\nusage: ${USAGE}`);
  }
  const flags = parseFlags(
    rest,
    {
      env: { type: "string", description: "stack" },
      "retry-after": { type: "string", description: "Retry-After seconds" },
      message: { type: "string", description: "the page's sentence" },
      json: { type: "boolean", description: "JSON output" },
    },
    USAGE,
  );
  if (!flags.env) throw new UsageError(`--env is required\nusage: ${USAGE}`);
  if (!STACK_NAME.test(flags.env)) throw new UsageError(`--env ${JSON.stringify(flags.env)} is not a stack name (letters, digits, '.', '_' and '-')`);
  const on = verbs[0] === "on";
  if (!on && (flags["retry-after"] !== undefined || flags.message !== undefined)) {
    throw new UsageError(`--retry-after and --message go with on only (allowed with off: --env, --json)\nusage: ${USAGE}`);
  }
  // The same rules as the config key, so the command never writes a value `up` would refuse.
  const checked = maintenanceConfigSchema.safeParse({ enabled: on, ...(flags["retry-after"] !== undefined ? { retryAfterSeconds: flags["retry-after"] } : {}), ...(flags.message !== undefined ? { message: flags.message } : {}) });
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const flag = issue.path[0] === "message" ? "--message" : "--retry-after";
    const given = issue.path[0] === "message" ? flags.message : flags["retry-after"];
    throw new UsageError(`${flag} ${JSON.stringify(given)}: ${issue.message}\nusage: ${USAGE}`);
  }
  return {
    stack: flags.env,
    on,
    retryAfterSeconds: flags["retry-after"] !== undefined ? checked.data.retryAfterSeconds : undefined,
    message: flags.message !== undefined ? checked.data.message : undefined,
    json: flags.json === true,
  };
}
