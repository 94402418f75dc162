// Runs the real Pulumi engine on a throwaway stack: its own backend folder and PULUMI_HOME in a temp
// dir, a unique stack name, and a cleanup that destroys and removes everything even after a failure.
// The benchmark (bench/) uses it too. Every command goes through `npm run pulumi`'s script, so the
// engine, policy pack and settings are the ones users get.
import { spawn } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "..", "..", "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const engineEnv = require(path.join(ROOT, "scripts", "engine-env.js"));

/**
 * Config for stacks whose tests are not about the gate's own timing: the sequential analysis
 * stops at 6 s instead of 15 s (6 s x 30 req/s per color = 180 requests, over three times the 50
 * needed even when a busy machine delays the first scrapes; 4 s once fell short). A clean release
 * then passes at the cap's last look (about 1.5 s later than the 7 s it takes uncapped), but no
 * gate sends more than 180 requests per color, however busy the machine:
 * the tests whose faults start after a number of requests count on that bound.
 * health-gates.test.ts keeps the defaults.
 */
export const SHORT_ANALYSIS = { "gates.analysis.windowSeconds": 6 };

/**
 * What most of the tests' local stacks start from: blue v1.0.0, one instance per color on the
 * test's own ports, one gate retry and the short gate window.
 */
export function smallLocalStack(routerPort: number, basePort: number) {
  return {
    "blue.version": "v1.0.0",
    "blue.replicas": 1,
    "green.replicas": 1,
    "local.routerPort": routerPort,
    "local.basePort": basePort,
    // policies-backup, in the other lane, restores the shared database: the restore ends every
    // session on it at once, and one retry of the gate rides that out.
    "gates.retries": 1,
    ...SHORT_ANALYSIS,
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time of the command in milliseconds. */
  ms: number;
  /** Process id of the command (for memory sampling of its process tree). */
  pid?: number;
}

export interface RunOptions {
  /** Kill the command (its process group) after this long. Defaults to 15 minutes. */
  timeoutMs?: number;
  /** Called with the command's pid once it started. */
  onStart?: (pid: number) => void;
}

export interface StackOptions {
  /**
   * The name's first word: `test` for the tests, `bench` for the benchmark. The wrapper gives both
   * the throwaway passphrase, and `npm test` clears processes either left behind.
   */
  kind?: "test" | "bench";
  /** The project directory (holding Pulumi.yaml). Defaults to the repository root, the main program. */
  projectDir?: string;
  /** Another throwaway stack whose backend this one shares (a StackReference between them); it cleans the folder up. */
  backendOf?: ThrowawayStack;
}

export class ThrowawayStack {
  readonly name: string;
  readonly projectDir: string;
  private readonly dir: string;
  private readonly ownsDir: boolean;
  /** The throwaway backend and PULUMI_HOME, for commands that run the wrapper themselves. */
  readonly backendUrl: string;
  readonly home: string;

  private constructor(prefix: string, opts: StackOptions) {
    const kind = opts.kind ?? "test";
    this.name = `${kind}-${prefix}-${randomBytes(3).toString("hex")}`;
    this.projectDir = opts.projectDir ?? ROOT;
    this.ownsDir = !opts.backendOf;
    if (opts.backendOf) {
      this.dir = opts.backendOf.dir;
    } else {
      this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `runbook-${kind}-${prefix}-`));
      fs.mkdirSync(path.join(this.dir, "backend"));
    }
    this.backendUrl = engineEnv.fileBackendUrl(path.join(this.dir, "backend"));
    this.home = path.join(this.dir, "home");
  }

  /** Creates the stack and sets its config (flat `key: value`, set with --path). */
  static async create(prefix: string, config: Record<string, string | number | boolean>, opts: StackOptions = {}): Promise<ThrowawayStack> {
    const s = new ThrowawayStack(prefix, opts);
    await s.must(["stack", "init", "--secrets-provider", "passphrase"]);
    for (const [k, v] of Object.entries(config)) await s.setConfig(k, v);
    return s;
  }

  /** The environment the project's scripts get for this stack: its backend, PULUMI_HOME and name. */
  wrapperEnv(extraEnv: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { ...process.env, PULUMI_BACKEND_URL: this.backendUrl, PULUMI_HOME: this.home, PULUMI_STACK: this.name, NO_COLOR: "1", ...extraEnv };
  }

  /** Runs `npm run pulumi -- <args>` (the project wrapper) for this stack. */
  run(args: string[], extraEnv: NodeJS.ProcessEnv = {}, opts: RunOptions = {}): Promise<RunResult> {
    const cwdArgs = this.projectDir === ROOT ? [] : ["--cwd", this.projectDir];
    return this.node("pulumi.js", [...args, ...cwdArgs, "--stack", this.name], extraEnv, opts);
  }

  /**
   * Runs a node script of the project's `scripts/` folder with this stack's environment and exactly
   * these arguments (for inputs that `run` and `script` would complete, such as a missing --env).
   */
  node(script: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}, opts: RunOptions = {}): Promise<RunResult> {
    const started = Date.now();
    const timeoutMs = opts.timeoutMs ?? 900_000;
    return new Promise((resolve, reject) => {
      // Its own process group, so a timeout stops the engine and its plugins with it.
      const child = spawn(process.execPath, [path.join(ROOT, "scripts", script), ...args], {
        cwd: ROOT,
        env: this.wrapperEnv(extraEnv),
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      if (child.pid) opts.onStart?.(child.pid);
      const timer = setTimeout(() => {
        stderr += `\n(harness: killed after ${timeoutMs / 1000}s)`;
        if (child.pid) process.kill(-child.pid, "SIGTERM");
      }, timeoutMs);
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? 1, stdout, stderr, ms: Date.now() - started, pid: child.pid });
      });
    });
  }

  /** Runs one of the project's commands (`health`, `db`) for this stack: `npm run <command> -- … --env <stack>`. */
  script(command: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    return this.node("run-built.js", [command, ...args, "--env", this.name], extraEnv);
  }

  /** Runs and throws with the engine's output when the command fails. */
  async must(args: string[], extraEnv: NodeJS.ProcessEnv = {}, opts: RunOptions = {}): Promise<RunResult> {
    const r = await this.run(args, extraEnv, opts);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} (stack ${this.name}) exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r;
  }

  setConfig(key: string, value: string | number | boolean, opts: { secret?: boolean } = {}): Promise<RunResult> {
    return this.must(["config", "set", "--path", key, String(value), ...(opts.secret ? ["--secret"] : [])]);
  }

  /** Sets a list or map value as users do, one `--path` entry per leaf (`key[0].name`): the CLI has no JSON values. */
  async setConfigTree(key: string, value: unknown): Promise<void> {
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) await this.setConfigTree(`${key}[${i}]`, v);
    } else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) await this.setConfigTree(`${key}.${k}`, v);
    } else {
      await this.setConfig(key, value as string | number | boolean);
    }
  }

  removeConfig(key: string): Promise<RunResult> {
    return this.must(["config", "rm", "--path", key]);
  }

  up(extraEnv: NodeJS.ProcessEnv = {}, opts: RunOptions = {}): Promise<RunResult> {
    // With a preview first, as users run it: policies refuse a change before anything is touched.
    return this.run(["up", "--yes", "--non-interactive"], extraEnv, opts);
  }

  /**
   * `up --skip-preview`: one program run instead of two, for the many updates whose test is about
   * what the update does (traffic, gates, processes), not about a refusal before anything changes.
   * The policies still judge the update itself; refusals are tested with `up`, preview first.
   */
  apply(extraEnv: NodeJS.ProcessEnv = {}, opts: RunOptions = {}): Promise<RunResult> {
    return this.run(["up", "--yes", "--skip-preview", "--non-interactive"], extraEnv, opts);
  }

  preview(extraEnv: NodeJS.ProcessEnv = {}, opts: RunOptions = {}): Promise<RunResult> {
    return this.run(["preview", "--non-interactive"], extraEnv, opts);
  }

  /** `pulumi preview --json`: the engine's structured plan. */
  async previewJson(extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number; plan: { steps?: { op: string; urn: string }[] } & Record<string, unknown>; raw: RunResult }> {
    const r = await this.run(["preview", "--json", "--non-interactive"], extraEnv);
    let plan = {};
    try {
      plan = JSON.parse(r.stdout);
    } catch {
      // leave empty: the caller asserts on code and raw output
    }
    return { code: r.code, plan, raw: r };
  }

  async outputs(): Promise<Record<string, unknown>> {
    const r = await this.must(["stack", "output", "--json"]);
    return JSON.parse(r.stdout);
  }

  /** The raw state file (for byte-for-byte comparisons). */
  stateFile(): string {
    const found: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name === `${this.name}.json`) found.push(p);
      }
    };
    walk(path.join(this.dir, "backend"));
    return found.length ? fs.readFileSync(found[0], "utf8") : "";
  }

  /** Every file in the throwaway file backend, relative to it. */
  backendFiles(): string[] {
    const dir = path.join(this.dir, "backend");
    return fs
      .readdirSync(dir, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile())
      .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
  }

  /** Destroys the stack's resources and removes the stack, its config file and temp folders. */
  async cleanup(): Promise<void> {
    await this.run(["destroy", "--yes", "--skip-preview", "--non-interactive"]);
    await this.run(["stack", "rm", "--yes", "--force"]);
    fs.rmSync(path.join(ROOT, "stacks", `Pulumi.${this.name}.yaml`), { force: true });
    if (this.ownsDir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export function engineVersion(): string {
  return engineEnv.pinnedEngineVersion(ROOT);
}
