// Where a stack's rollout keeps its files on this machine: under the project's state folder, one
// folder per stack, so a second terminal (`npm run rollout`, `npm run lock`) finds what the running
// `deploy` writes.
//
//   $STATE/rollouts/<stack>/lock.json      who holds the stack (a rollout or a person's freeze)
//   $STATE/rollouts/<stack>/status.json    the running (or last) rollout: phase, step, traffic, figures
//   $STATE/rollouts/<stack>/control.jsonl  verbs from `npm run rollout` (pause, resume, promote, abort)
//   $STATE/rollouts/<stack>/history.jsonl  every event of every rollout, one JSON object a line
//   $STATE/rollouts/<stack>/postmortems/   one Markdown postmortem per rollback (postmortem-files.ts)
import * as fs from "fs";
import * as path from "path";
import { stateDir } from "../state-dir";

export interface RolloutFiles {
  dir: string;
  lock: string;
  status: string;
  control: string;
  history: string;
  postmortems: string;
}

export function rolloutFiles(stack: string, root: string = stateDir()): RolloutFiles {
  // Stack names are letters, digits, '.', '_' and '-' (checked by the CLIs); nothing escapes the folder.
  const dir = path.join(root, "rollouts", stack.replace(/[^A-Za-z0-9._-]/g, "_"));
  return {
    dir,
    lock: path.join(dir, "lock.json"),
    status: path.join(dir, "status.json"),
    control: path.join(dir, "control.jsonl"),
    history: path.join(dir, "history.jsonl"),
    postmortems: path.join(dir, "postmortems"),
  };
}

/** Writes a file so readers see the old or the new content, never half of it. */
export function writeAtomic(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

/** Appends one line; small appends with O_APPEND do not interleave between processes. */
export function appendLine(file: string, line: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, `${line}\n`);
}

export function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** Every JSON line of a file (a torn last line is skipped). */
export function readJsonLines<T>(file: string): T[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return [];
  }
  const out: T[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // a line still being written: the next read gets it whole
    }
  }
  return out;
}
