// A small client for the project's own supervisord (started by scripts/bootstrap-local.sh), which
// keeps the local target's processes running: releases, routers, Redis, Prometheus.
//
// It drives `supervisorctl -c <config>` rather than the XML-RPC socket: supervisorctl is what an
// operator would type, so every call here can be replayed by hand, and its output goes into our
// error messages verbatim. Programs are files in conf.d, one per program; `supervisorctl update
// <name>` applies one file without touching any other program.
import { execFile } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs/promises";
import * as path from "path";
import { promisify } from "util";
import { supervisorConfig } from "./paths";

const execFileAsync = promisify(execFile);

/** States supervisord reports for a process (supervisor.states.ProcessStates). */
export type ProgramState =
  | "RUNNING"
  | "STARTING"
  | "STOPPED"
  | "BACKOFF"
  | "EXITED"
  | "FATAL"
  | "STOPPING"
  | "UNKNOWN";

const STATES: ReadonlySet<string> = new Set<ProgramState>([
  "RUNNING", "STARTING", "STOPPED", "BACKOFF", "EXITED", "FATAL", "STOPPING", "UNKNOWN",
]);

export interface ProgramStatus {
  name: string;
  state: ProgramState;
  /** The process id while it runs (RUNNING, STOPPING); absent otherwise. */
  pid?: number;
}

export interface ProgramSpec {
  /** The executable: an absolute path, or a name looked up on supervisord's PATH. */
  command: string;
  /** Arguments, passed as they are (no shell). */
  args: string[];
  /** Environment added to supervisord's own. May hold secrets: the program file is mode 0600. */
  env: Record<string, string>;
  /** Absolute working directory. Defaults to supervisord's (the state root). */
  directory?: string;
  /** Restart the process whenever it exits. Defaults to true. */
  autorestart?: boolean;
  /** Seconds the process must stay up to count as started. Defaults to 1. */
  startsecs?: number;
  /** Seconds between the stop signal and SIGKILL. Defaults to 15. */
  stopwaitsecs?: number;
  /** Signal that asks the process to stop. Defaults to "TERM". */
  stopsignal?: "TERM" | "INT" | "QUIT";
  /** Start when supervisord starts or the program is added. Defaults to true. */
  autostart?: boolean;
  /** Absolute path of the log for stdout and stderr. Defaults to `<logs>/<name>.log`. */
  stdoutLog?: string;
}

const PROGRAM_NAME = /^[a-z0-9][a-z0-9-]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Throws unless `name` is a valid program name: lower-case letters, digits and `-`, not leading `-`. */
export function validateProgramName(name: string): void {
  if (typeof name !== "string" || !PROGRAM_NAME.test(name)) {
    throw new Error(
      `invalid supervisor program name ${JSON.stringify(name)}: use lower-case letters, digits and "-", starting with a letter or digit`,
    );
  }
}

// --- rendering the program file ---------------------------------------------------------------
//
// A value in a supervisor program file passes three parsers, and each one constrains the text:
//  1. Python's configparser, as supervisor configures it: a line break ends the value, and `;` or
//     `#` after whitespace starts an inline comment (there is no escape for either);
//  2. supervisor's `%(name)s` expansion, so a literal `%` is written `%%`; but `%(here)s` is first
//     replaced as plain text (ServerOptions.expand_here), `%%(here)s` included, so it cannot appear;
//  3. for `command`, shlex.split (POSIX rules); for `environment`, a NON-POSIX shlex in which
//     backslashes are literal, a quote always ends the token, and the value's own leading and
//     trailing quote characters are stripped (supervisor.datatypes.dict_of_key_value_pairs).
// What cannot be written is refused with a message naming the field, never silently changed.

// Python's str.isspace(), which configparser uses to spot inline comments; JS \s misses \x1c-\x1f, \x85.
const PY_SPACE = "\\s\\x1c-\\x1f\\x85";
const INLINE_COMMENT = new RegExp(`[${PY_SPACE}][;#]`);

function checkIniText(program: string, field: string, value: string): void {
  if (/[\r\n\0]/.test(value)) {
    throw new Error(`supervisor program ${program}: ${field} must not contain a line break or NUL`);
  }
  if (value.includes("%(here)s")) {
    throw new Error(`supervisor program ${program}: ${field} must not contain "%(here)s" (supervisor replaces it with the file's folder)`);
  }
}

/** One argv word for supervisor's `command=`: single-quoted for shlex, `%` doubled, comments dodged. */
export function quoteCommandWord(word: string): string {
  const quoted = `'${word.replace(/'/g, `'\\''`)}'`;
  // A quote pair between the whitespace and `;`/`#` keeps configparser from seeing a comment while
  // shlex joins the pieces back into one word: 'a '';b' is "a ;b".
  return quoted.replace(new RegExp(`([${PY_SPACE}])(?=[;#])`, "g"), "$1''").replace(/%/g, "%%");
}

/** One `KEY="value"` pair for supervisor's `environment=`; throws when supervisor cannot read it back. */
export function renderEnvPair(program: string, key: string, value: string): string {
  const field = `env ${key}`;
  if (!ENV_NAME.test(key)) {
    throw new Error(`supervisor program ${program}: env name ${JSON.stringify(key)} must match ${ENV_NAME}`);
  }
  if (typeof value !== "string") throw new Error(`supervisor program ${program}: ${field} must be a string`);
  checkIniText(program, field, value);
  if (/^['"]|['"]$/.test(value)) {
    throw new Error(`supervisor program ${program}: ${field} must not start or end with a quote character (supervisor strips them)`);
  }
  if (INLINE_COMMENT.test(value)) {
    throw new Error(`supervisor program ${program}: ${field} must not contain whitespace followed by ";" or "#" (supervisor reads a comment)`);
  }
  // No escapes exist inside supervisor's env quotes, so pick the quote the value does not use.
  let quote: string;
  if (!value.includes('"')) quote = '"';
  else if (!value.includes("'")) quote = "'";
  else throw new Error(`supervisor program ${program}: ${field} must not contain both ' and " (supervisor cannot quote it)`);
  return `${key}=${quote}${value.replace(/%/g, "%%")}${quote}`;
}

function renderPath(program: string, field: string, value: string): string {
  checkIniText(program, field, value);
  if (!path.isAbsolute(value)) throw new Error(`supervisor program ${program}: ${field} must be an absolute path, got ${JSON.stringify(value)}`);
  if (INLINE_COMMENT.test(value) || value !== value.trim()) {
    throw new Error(`supervisor program ${program}: ${field} ${JSON.stringify(value)} must not have surrounding whitespace or whitespace before ";" or "#"`);
  }
  return value.replace(/%/g, "%%");
}

function seconds(program: string, field: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 0) throw new Error(`supervisor program ${program}: ${field} must be a whole number of seconds >= 0, got ${v}`);
  return v;
}

/**
 * The text of `<name>.conf` for `spec`. Pure: the same spec always gives the same bytes (env keys
 * sorted), which is what lets ensureProgram skip unchanged programs.
 */
export function renderProgram(name: string, spec: ProgramSpec, logsDir: string): string {
  validateProgramName(name);
  if (!spec || typeof spec.command !== "string" || spec.command === "") {
    throw new Error(`supervisor program ${name}: command must be a non-empty string`);
  }
  if (!Array.isArray(spec.args)) throw new Error(`supervisor program ${name}: args must be an array of strings`);
  const words = [spec.command, ...spec.args];
  words.forEach((w, i) => {
    if (typeof w !== "string") throw new Error(`supervisor program ${name}: args[${i - 1}] must be a string`);
    checkIniText(name, i === 0 ? "command" : `args[${i - 1}]`, w);
  });
  const stopsignal = spec.stopsignal ?? "TERM";
  if (!["TERM", "INT", "QUIT"].includes(stopsignal)) {
    throw new Error(`supervisor program ${name}: stopsignal must be TERM, INT or QUIT, got ${String(stopsignal)}`);
  }
  const env = Object.keys(spec.env ?? {})
    .sort()
    .map((k) => renderEnvPair(name, k, spec.env[k]));

  const lines = [
    "; Written by components/local/supervisor.ts (Supervisor.ensureProgram); edits are overwritten.",
    `[program:${name}]`,
    `command=${words.map(quoteCommandWord).join(" ")}`,
  ];
  if (spec.directory !== undefined) lines.push(`directory=${renderPath(name, "directory", spec.directory)}`);
  if (env.length > 0) lines.push(`environment=${env.join(",")}`);
  lines.push(
    `autostart=${spec.autostart ?? true}`,
    `autorestart=${spec.autorestart ?? true}`,
    `startsecs=${seconds(name, "startsecs", spec.startsecs, 1)}`,
    "startretries=3",
    `stopwaitsecs=${seconds(name, "stopwaitsecs", spec.stopwaitsecs, 15)}`,
    `stopsignal=${stopsignal}`,
    // Signal the whole process group, so a release that forks (npm, sh -c) does not leave children.
    "stopasgroup=true",
    "killasgroup=true",
    "redirect_stderr=true",
    `stdout_logfile=${renderPath(name, "stdoutLog", spec.stdoutLog ?? path.join(logsDir, `${name}.log`))}`,
    "stdout_logfile_maxbytes=10MB",
    "stdout_logfile_backups=2",
  );
  return lines.join("\n") + "\n";
}

/** Parses `supervisorctl status` lines such as `web RUNNING   pid 42, uptime 0:01:02`. */
export function parseStatus(output: string): ProgramStatus[] {
  const out: ProgramStatus[] = [];
  for (const line of output.split("\n")) {
    const m = /^(\S+)\s+([A-Z]+)\b(.*)$/.exec(line.trim());
    if (!m || !STATES.has(m[2])) continue;
    const pid = /\bpid (\d+)/.exec(m[3]);
    out.push({ name: m[1], state: m[2] as ProgramState, ...(pid ? { pid: Number(pid[1]) } : {}) });
  }
  return out;
}

interface CtlResult {
  code: number;
  output: string;
}

/** supervisorctl's ways of saying the daemon (or its config) is not there. */
const DAEMON_DOWN = /no such file|refused connection|SHUTDOWN_STATE|could not find config file/i;

/** The project's supervisord, driven through `supervisorctl -c <config>`. */
export class Supervisor {
  /** Folder of program files; supervisord.conf includes `<this>/*.conf`. */
  readonly programsDir: string;
  /** Where program logs go unless a spec says otherwise. */
  readonly logsDir: string;

  /**
   * @param config supervisord.conf as laid out by scripts/bootstrap-local.sh
   *   (`<state>/supervisor/supervisord.conf`, with `conf.d/` beside it and `<state>/logs/`).
   *   Defaults to paths.supervisorConfig().
   */
  constructor(readonly config: string = supervisorConfig()) {
    this.programsDir = path.join(path.dirname(config), "conf.d");
    this.logsDir = path.join(path.dirname(path.dirname(config)), "logs");
  }

  /** Path of a program's file. */
  programFile(name: string): string {
    validateProgramName(name);
    return path.join(this.programsDir, `${name}.conf`);
  }

  /** True when supervisord answers on its socket. Never throws. */
  async isRunning(): Promise<boolean> {
    try {
      const r = await this.ctl(["pid"], 10_000);
      return r.code === 0 && /^\d+$/.test(r.output.trim());
    } catch {
      return false;
    }
  }

  /**
   * Writes the program file when its content differs from `spec` (atomically, mode 0600), then
   * `supervisorctl update <name>`: a new program is added (and started when autostart), a changed
   * one is stopped and started again, an unchanged one is left alone. Returns whether anything
   * changed. Does not wait for the process to be RUNNING (see status), and does not start an
   * unchanged program that was stopped on purpose.
   */
  async ensureProgram(name: string, spec: ProgramSpec): Promise<boolean> {
    const content = renderProgram(name, spec, this.logsDir);
    const file = this.programFile(name);
    const previous = await readIfExists(file);
    const changed = previous !== content;
    if (changed) await writeAtomic(file, content);

    // A stop inside update waits for the old process, up to its stopwaitsecs.
    const timeoutMs = (Math.max(spec.stopwaitsecs ?? 15, 15) + 60) * 1000;
    const r = await this.ctl(["update", name], timeoutMs);
    if (r.code !== 0 || /ERROR/.test(r.output)) {
      // supervisord rereads every file on update, so a file it cannot parse would break every
      // later update for every program: put the previous one back before reporting.
      if (changed && /CANT_REREAD/.test(r.output)) {
        if (previous === undefined) await fs.rm(file, { force: true });
        else await writeAtomic(file, previous);
      }
      throw this.failure("update", name, r);
    }
    return changed || /added process group|updated process group/.test(r.output);
  }

  /**
   * Stops the program (waiting for it to exit, up to its stopwaitsecs, then SIGKILL), deletes its
   * file and removes it from supervisord. No error when it does not exist.
   */
  async removeProgram(name: string): Promise<void> {
    const file = this.programFile(name);
    const stop = await this.ctl(["stop", name], 120_000);
    if (stop.code !== 0 && !/not running|no such process|no such group/.test(stop.output)) {
      throw this.failure("stop", name, stop);
    }
    await fs.rm(file, { force: true });
    const r = await this.ctl(["update", name], 120_000);
    if (r.code !== 0 && !/no such group/.test(r.output)) throw this.failure("update", name, r);
  }

  /** Starts the program and waits until it has stayed up for startsecs. Already running is fine. */
  async start(name: string): Promise<void> {
    validateProgramName(name);
    const r = await this.ctl(["start", name], 120_000);
    if (r.code !== 0 && !/already started/.test(r.output)) throw this.failure("start", name, r);
  }

  /** Stops the program and waits for it to exit. Already stopped is fine. */
  async stop(name: string): Promise<void> {
    validateProgramName(name);
    const r = await this.ctl(["stop", name], 120_000);
    if (r.code !== 0 && !/not running/.test(r.output)) throw this.failure("stop", name, r);
  }

  /** Stops (when running) and starts the program. */
  async restart(name: string): Promise<void> {
    validateProgramName(name);
    const r = await this.ctl(["restart", name], 240_000);
    if (r.code !== 0 || /ERROR/.test(r.output.replace(/ERROR \(not running\)/g, ""))) throw this.failure("restart", name, r);
  }

  /** The program's state and pid. Throws when supervisord does not know the program. */
  async status(name: string): Promise<ProgramStatus> {
    validateProgramName(name);
    // supervisorctl exits 3 for every non-running state; the output is the answer.
    const r = await this.ctl(["status", name], 30_000);
    const found = parseStatus(r.output).find((s) => s.name === name);
    if (!found) throw this.failure("status", name, r);
    return found;
  }

  /** Every program supervisord knows, optionally only those whose name starts with `prefix`. */
  async statusAll(prefix = ""): Promise<ProgramStatus[]> {
    const r = await this.ctl(["status"], 30_000);
    if (r.code !== 0 && r.code !== 3) throw this.failure("status", "(all)", r);
    return parseStatus(r.output)
      .filter((s) => s.name.startsWith(prefix))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Names of the programs supervisord knows, optionally only those starting with `prefix`. */
  async programNames(prefix = ""): Promise<string[]> {
    return (await this.statusAll(prefix)).map((s) => s.name);
  }

  private async ctl(args: string[], timeoutMs: number): Promise<CtlResult> {
    try {
      const { stdout, stderr } = await execFileAsync("supervisorctl", ["-c", this.config, ...args], {
        timeout: timeoutMs,
        encoding: "utf8",
      });
      return { code: 0, output: (stdout + stderr).trim() };
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stdout?: string; stderr?: string; code?: number | string; killed?: boolean };
      if (typeof e.code !== "number") {
        // Not an exit status: supervisorctl missing (ENOENT) or killed on timeout.
        const why = e.killed ? `timed out after ${timeoutMs / 1000}s` : e.message;
        throw new Error(`supervisorctl ${args.join(" ")} failed: ${why}; run scripts/bootstrap-local.sh`);
      }
      return { code: e.code, output: `${e.stdout ?? ""}${e.stderr ?? ""}`.trim() };
    }
  }

  private failure(op: string, name: string, r: CtlResult): Error {
    const hint = DAEMON_DOWN.test(r.output) ? ` (supervisord is not running for ${this.config}; run scripts/bootstrap-local.sh)` : "";
    return new Error(`supervisor: ${op} ${name} failed (exit ${r.code})${hint}: ${r.output || "no output"}`);
  }
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** Write then rename, so supervisord never reads half a file; the temp name does not match *.conf. */
async function writeAtomic(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  try {
    await fs.writeFile(tmp, content, { mode: 0o600, flag: "wx" });
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}
