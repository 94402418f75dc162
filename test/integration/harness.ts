// Runs the real Pulumi engine on a throwaway stack: its own backend folder and PULUMI_HOME in a temp
// dir, a unique stack name, and a cleanup that destroys and removes everything even after a failure.
import { spawn } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "..", "..", "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const engineEnv = require(path.join(ROOT, "scripts", "engine-env.js"));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time of the command in milliseconds. */
  ms: number;
}

export class ThrowawayStack {
  readonly name: string;
  private readonly dir: string;
  private readonly env: NodeJS.ProcessEnv;
  /** The throwaway backend and PULUMI_HOME, for commands that run the wrapper themselves. */
  readonly backendUrl: string;
  readonly home: string;

  private constructor(prefix: string) {
    this.name = `test-${prefix}-${randomBytes(3).toString("hex")}`;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `runbook-${prefix}-`));
    fs.mkdirSync(path.join(this.dir, "backend"));
    this.backendUrl = engineEnv.fileBackendUrl(path.join(this.dir, "backend"));
    this.home = path.join(this.dir, "home");
    this.env = {
      ...process.env,
      PULUMI_BACKEND_URL: this.backendUrl,
      PULUMI_HOME: this.home,
      PULUMI_STACK: this.name,
      NO_COLOR: "1",
    };
  }

  /** Creates the stack and sets its config (flat `key: value`, set with --path). */
  static async create(prefix: string, config: Record<string, string | number | boolean>): Promise<ThrowawayStack> {
    const s = new ThrowawayStack(prefix);
    await s.must(["stack", "init", "--secrets-provider", "passphrase"]);
    for (const [k, v] of Object.entries(config)) await s.setConfig(k, v);
    return s;
  }

  /** Runs `npm run pulumi -- <args>` (the project wrapper) for this stack. */
  run(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    return this.spawnNode([path.join(ROOT, "scripts", "pulumi.js"), ...args, "--stack", this.name], extraEnv);
  }

  private spawnNode(args: string[], extraEnv: NodeJS.ProcessEnv): Promise<RunResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, args, {
        cwd: ROOT,
        env: { ...this.env, ...extraEnv },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr, ms: Date.now() - started }));
    });
  }

  /** Runs one of the project's commands (`health`, `db`) for this stack: `npm run <command> -- … --env <stack>`. */
  script(command: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    return this.spawnNode([path.join(ROOT, "scripts", "run-built.js"), command, ...args, "--env", this.name], extraEnv);
  }

  /** Runs and throws with the engine's output when the command fails. */
  async must(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    const r = await this.run(args, extraEnv);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r;
  }

  setConfig(key: string, value: string | number | boolean, opts: { secret?: boolean } = {}): Promise<RunResult> {
    return this.must(["config", "set", "--path", key, String(value), ...(opts.secret ? ["--secret"] : [])]);
  }

  up(extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    // With a preview first, as users run it: policies refuse a change before anything is touched.
    return this.run(["up", "--yes", "--non-interactive"], extraEnv);
  }

  preview(extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    return this.run(["preview", "--non-interactive"], extraEnv);
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
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export function engineVersion(): string {
  return engineEnv.pinnedEngineVersion(ROOT);
}
