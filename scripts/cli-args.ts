// Flag parsing for the project's commands: node's parseArgs, with errors that name the flag and
// list the allowed ones.
import { parseArgs } from "util";

export class UsageError extends Error {}

/** Stack names the project's commands accept (letters, digits, '.', '_' and '-'). */
export const STACK_NAME = /^[A-Za-z0-9._-]{1,100}$/;

type Spec = Record<string, { type: "string" | "boolean"; description: string; choices?: readonly string[] }>;

export function parseFlags<S extends Spec>(argv: string[], spec: S, usage: string): { [K in keyof S]?: S[K]["type"] extends "string" ? string : boolean } {
  const allowed = Object.keys(spec).map((k) => `--${k}`).join(", ");
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options: Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, { type: v.type }])), strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch (e) {
    throw new UsageError(`${(e as Error).message.replace(/\. To specify a positional.*$/s, "")} (allowed flags: ${allowed})\nusage: ${usage}`);
  }
  for (const [k, v] of Object.entries(spec)) {
    const given = values[k];
    if (v.choices && typeof given === "string" && !v.choices.includes(given)) {
      throw new UsageError(`--${k} ${JSON.stringify(given)} is not allowed (allowed values: ${v.choices.join(", ")})\nusage: ${usage}`);
    }
  }
  return values as never;
}

const finishers: (() => Promise<unknown>)[] = [];

/**
 * Work a command does after its main settled, whatever the outcome, once its result is printed
 * (its notifications, flushed within their bound). A finisher's failure is ignored.
 */
export function atExit(finish: () => Promise<unknown>): void {
  finishers.push(finish);
}

/**
 * Runs a command's main, printing usage errors (exit 2) and failures (exit 1) without a stack trace.
 * With `exitWhenDone`, the process exits once main and the finishers settled, even if a handle
 * something left behind (an engine plugin's pipe, a watcher) would keep it alive: for commands whose
 * callers wait on their exit (the emergency rollback). Output to pipes and files is synchronous on
 * Linux, so nothing printed is lost.
 */
export function runMain(main: () => Promise<number>, opts: { exitWhenDone?: boolean } = {}): void {
  main()
    .then((code) => (process.exitCode = code))
    .catch((e) => {
      console.error(`error: ${(e as Error).message}`);
      process.exitCode = e instanceof UsageError ? 2 : 1;
    })
    .finally(() => Promise.allSettled(finishers.splice(0).map((f) => f())))
    .then(() => {
      if (opts.exitWhenDone) process.exit();
    });
}
