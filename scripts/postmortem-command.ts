// What `npm run postmortem` does, apart from the process around it (scripts/postmortem.ts), so the
// flag errors and the output can be tested without a child process.
import { POSTMORTEM_ID } from "../components/rollout/postmortem";
import { listPostmortems, readPostmortem } from "../components/rollout/postmortem-files";
import { STACK_NAME, UsageError, parseFlags } from "./cli-args";

export const USAGE = "npm run postmortem -- --env <stack> [--last | --id <id> | --list]";

export type PostmortemRequest = { stack: string } & ({ show: "last" } | { show: "list" } | { show: "id"; id: string });

export function parsePostmortemArgs(argv: string[]): PostmortemRequest {
  const flags = parseFlags(
    argv,
    {
      env: { type: "string", description: "stack" },
      last: { type: "boolean", description: "the newest postmortem (the default)" },
      id: { type: "string", description: "one postmortem by id" },
      list: { type: "boolean", description: "every postmortem, newest first" },
    },
    USAGE,
  );
  if (!flags.env) throw new UsageError(`--env is required\nusage: ${USAGE}`);
  if (!STACK_NAME.test(flags.env)) throw new UsageError(`--env ${JSON.stringify(flags.env)} is not a stack name (letters, digits, '.', '_' and '-')`);
  const picked = (["last", "id", "list"] as const).filter((k) => flags[k] !== undefined);
  if (picked.length > 1) throw new UsageError(`${picked.map((k) => `--${k}`).join(" and ")} do not go together (allowed: one of --last, --id <id>, --list)\nusage: ${USAGE}`);
  if (flags.id !== undefined) {
    if (!POSTMORTEM_ID.test(flags.id)) throw new UsageError(`--id ${JSON.stringify(flags.id)} is not a postmortem id (<UTC time>-<rollout id prefix>, e.g. 20261202T061500Z-1a2b3c4d)\nusage: ${USAGE}`);
    return { stack: flags.env, show: "id", id: flags.id };
  }
  return { stack: flags.env, show: flags.list ? "list" : "last" };
}

/**
 * Prints the newest postmortem, one by id, or the list. No postmortem to show is refused like a
 * `rollout` verb with no rollout (UsageError, exit 2); an empty list is an answer (exit 0).
 */
export function runPostmortem(argv: string[], write: (text: string) => void, root?: string): number {
  const req = parsePostmortemArgs(argv);
  const all = listPostmortems(req.stack, root);
  if (req.show === "list") {
    write(all.length ? `${all.map((p) => `${p.id}  ${p.at}  ${p.version}  ${p.reason}`).join("\n")}\n` : `${req.stack}: no postmortems yet (every rollback writes one)\n`);
    return 0;
  }
  if (!all.length) throw new UsageError(`stack ${req.stack} has no postmortem yet (every rollback writes one)`);
  const id = req.show === "id" ? req.id : all[0].id;
  const text = readPostmortem(req.stack, id, root);
  if (text === undefined) throw new UsageError(`--id ${JSON.stringify(id)} is not a postmortem of stack ${req.stack} (allowed values: ${all.map((p) => p.id).join(", ")})`);
  write(text);
  return 0;
}
