// One rollout per stack (Kamal's lock). The lock is a file created with link(2), which fails when
// the file exists, so two processes can never both think they hold it. It says who holds it, since
// when and why; the rules of who may do what under it are `lockDecision`, a pure function.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export type LockKind = "rollout" | "freeze";

export interface LockHolder {
  /** A running deploy or rollback ("rollout"), or a person who froze the stack ("freeze"). */
  kind: LockKind;
  /** user@host. */
  holder: string;
  pid: number;
  /** ISO-8601 time the lock was taken. */
  since: string;
  message: string;
}

export function currentHolder(kind: LockKind, message: string, now: Date = new Date()): LockHolder {
  let user = process.env.USER ?? "";
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry (containers): keep $USER
  }
  return { kind, holder: `${user || "unknown"}@${os.hostname()}`, pid: process.pid, since: now.toISOString(), message };
}

export function describeHolder(h: LockHolder): string {
  const what = h.kind === "freeze" ? "frozen by" : "locked by a rollout of";
  return `${what} ${h.holder} (pid ${h.pid}) since ${h.since}: ${JSON.stringify(h.message)}`;
}

export type LockOperation = "deploy" | "rollback" | "resume" | "freeze" | "maintenance";

export type LockDecision =
  | { action: "acquire" }
  /** A rollback under a freeze: allowed, and the freeze stays. */
  | { action: "proceed" }
  | { action: "take-over"; from: LockHolder }
  | { action: "refuse"; message: string };

/**
 * Who may do what while the stack is held:
 * - nothing held: every operation takes the lock;
 * - a freeze refuses deploy, resume and a second freeze, and lets a rollback and maintenance through (the freeze stays);
 * - a rollout refuses everything, except a rollback with `takeOver` (the explicit flag), which takes it.
 */
export function lockDecision(op: LockOperation, held: LockHolder | undefined, opts: { takeOver?: boolean; stack: string }): LockDecision {
  if (!held) return { action: "acquire" };
  const who = describeHolder(held);
  if (held.kind === "freeze") {
    // A rollback and maintenance mode are what a person reaches for in an incident: a freeze stops deploys only.
    if (op === "rollback" || op === "maintenance") return { action: "proceed" };
    return { action: "refuse", message: `stack ${opts.stack} is ${who}; ${op} refused (a rollback is still allowed; release with npm run lock -- release --env ${opts.stack})` };
  }
  if (op === "rollback" && opts.takeOver) return { action: "take-over", from: held };
  const hint = op === "rollback" ? ` (add --take-over to roll back anyway; the running rollout is stopped)` : "";
  return { action: "refuse", message: `stack ${opts.stack} is ${who}; ${op} refused${hint}` };
}

export function readLock(file: string): LockHolder | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as LockHolder;
  } catch {
    return undefined;
  }
}

/** Takes the lock; returns the current holder instead when someone has it. */
export function tryAcquire(file: string, me: LockHolder): { ok: true } | { ok: false; held: LockHolder } {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(me, null, 2));
  try {
    fs.linkSync(tmp, file);
    return { ok: true };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    const held = readLock(file);
    // Removed between link and read: try once more.
    if (!held) return tryAcquire(file, me);
    return { ok: false, held };
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Replaces `from` with `me`; fails when the lock changed hands in between. */
export function takeOver(file: string, from: LockHolder, me: LockHolder): boolean {
  const now = readLock(file);
  if (now && (now.pid !== from.pid || now.since !== from.since)) return false;
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(me, null, 2));
  fs.renameSync(tmp, file);
  return true;
}

/** Releases the lock if `me` still holds it (a taken-over lock is not ours to release). */
export function release(file: string, me: Pick<LockHolder, "pid" | "since">): boolean {
  const now = readLock(file);
  if (!now || now.pid !== me.pid || now.since !== me.since) return false;
  fs.rmSync(file, { force: true });
  return true;
}

/** Whether a process id is alive on this machine (a lock whose holder died is stale). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A rollout's lock whose process is gone: nothing will release it (a freeze is a person's, never stuck). */
export function stuckRolloutLock(held: LockHolder | undefined, alive: (pid: number) => boolean = processAlive): held is LockHolder {
  return held?.kind === "rollout" && !alive(held.pid);
}
