// Postmortems on disk: one Markdown file per rollback in $STATE/rollouts/<stack>/postmortems/,
// named `<id>.md` with the id `<UTC time, compact>-<first 8 characters of the rollout id>`. The
// event sink writes one after every rolled-back event is in the history (postmortemHook); the
// postmortem command and a dashboard list and read them.
import * as fs from "fs";
import * as path from "path";
import type { RolloutEvent } from "./events";
import { RolloutFiles, readJsonLines, rolloutFiles, writeAtomic } from "./files";
import { POSTMORTEM_ID, RolledBack, eventsOfRollback, parseMeta, postmortemId, renderPostmortem } from "./postmortem";

export interface PostmortemEntry {
  id: string;
  file: string;
  /** When the rollback was recorded (its event's time). */
  at: string;
  /** The release rolled back from. */
  version: string;
  reason: string;
}

/** Renders the postmortem of `e` from the stack's history and writes it. Throws on a failed write. */
export function writePostmortem(e: RolledBack, files: RolloutFiles): { id: string; file: string } {
  const events = eventsOfRollback(readJsonLines<unknown>(files.history), e);
  const id = postmortemId(e);
  const file = path.join(files.postmortems, `${id}.md`);
  writeAtomic(file, renderPostmortem({ rollback: e, events, sources: { history: files.history, engineLog: path.join(files.dir, "engine.log") } }));
  return { id, file };
}

/** The EventSink's `afterEmit`: a postmortem for every rolled-back event, a one-line note of where. */
export function postmortemHook(files: RolloutFiles): (e: RolloutEvent) => string | undefined {
  return (e) => {
    if (e.type !== "rolled-back") return undefined;
    try {
      const { file } = writePostmortem(e, files);
      return `postmortem written: ${file} (npm run postmortem -- --env ${e.stack})`;
    } catch (x) {
      throw new Error(`postmortem not written: ${(x as Error).message}`);
    }
  };
}

/** `20261202T061500Z-…` as an ISO time, for a file whose first line is not ours. */
const atOfId = (id: string) => id.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z.*$/, "$1-$2-$3T$4:$5:$6.000Z");

/** The stack's postmortems, newest first. */
export function listPostmortems(stack: string, root?: string): PostmortemEntry[] {
  const dir = rolloutFiles(stack, root).postmortems;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: PostmortemEntry[] = [];
  for (const name of names) {
    const id = name.replace(/\.md$/, "");
    if (!name.endsWith(".md") || !POSTMORTEM_ID.test(id)) continue;
    const file = path.join(dir, name);
    let first = "";
    try {
      first = fs.readFileSync(file, "utf8").split("\n", 1)[0];
    } catch {
      continue;
    }
    const meta = parseMeta(first);
    out.push({ id, file, at: meta?.at ?? atOfId(id), version: meta?.version ?? "", reason: meta?.reason ?? "" });
  }
  return out.sort((a, b) => (a.at === b.at ? (a.id < b.id ? 1 : -1) : a.at < b.at ? 1 : -1));
}

/** One postmortem's Markdown, or undefined when `id` names none of the stack's. */
export function readPostmortem(stack: string, id: string, root?: string): string | undefined {
  if (!POSTMORTEM_ID.test(id)) return undefined;
  try {
    return fs.readFileSync(path.join(rolloutFiles(stack, root).postmortems, `${id}.md`), "utf8");
  } catch {
    return undefined;
  }
}
