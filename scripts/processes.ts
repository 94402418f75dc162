// The machine's process table, read from /proc: shared by the fault tests (which kill an engine
// and look for what it left behind) and the benchmark (which samples memory of process trees).
import * as fs from "fs";

export interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  /** One letter, as in ps: R, S, D, Z, ... */
  state: string;
  /** The command line, arguments separated by spaces; empty for a zombie. */
  cmd: string;
}

export function processTable(): Proc[] {
  const out: Proc[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name may hold spaces and parentheses: the fields start after the last ")".
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      out.push({ pid: Number(entry), state: f[0], ppid: Number(f[1]), pgid: Number(f[2]), cmd });
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** Every process below `root` (children, grandchildren, ...), whatever its process group. */
export function descendants(root: number, all = processTable()): Proc[] {
  const found: Proc[] = [];
  for (let parents = [root]; parents.length; ) {
    const children = all.filter((p) => parents.includes(p.ppid));
    found.push(...children);
    parents = children.map((p) => p.pid);
  }
  return found;
}

/** `root` and every process below it. */
export function tree(root: number): Proc[] {
  const all = processTable();
  const self = all.find((p) => p.pid === root);
  return self ? [self, ...descendants(root, all)] : [];
}

/** Whether `pid` runs (a zombie does not count). */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
