// A throwaway stack for the benchmarks: its own file backend and PULUMI_HOME in a temp dir, a
// `bench-*` name (the wrapper gives those the throwaway passphrase; the test harness names its
// stacks `test-*`), and any project directory of this repository (the main program, the scale
// program, the one-resource program). Every command goes through `npm run pulumi`'s script, so
// the engine, policy pack and settings are the ones users get.
import { spawn } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "..", "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const engineEnv = require(path.join(ROOT, "scripts", "engine-env.js"));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time of the command in milliseconds. */
  ms: number;
  /** Process id of the wrapper (for memory sampling of its process tree). */
  pid?: number;
}

export interface RunOptions {
  /** Extra environment. */
  env?: NodeJS.ProcessEnv;
  /** Kill the command (its process group) after this long. Defaults to 15 minutes. */
  timeoutMs?: number;
  /** Called with the wrapper's pid once it started. */
  onStart?: (pid: number) => void;
}

export class BenchStack {
  readonly name: string;
  readonly backendUrl: string;
  readonly home: string;
  private readonly dir: string;

  private constructor(
    prefix: string,
    /** The project directory (holding Pulumi.yaml); the repository root for the main program. */
    readonly projectDir: string,
  ) {
    this.name = `bench-${prefix}-${randomBytes(3).toString("hex")}`;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `runbook-bench-${prefix}-`));
    fs.mkdirSync(path.join(this.dir, "backend"));
    this.backendUrl = engineEnv.fileBackendUrl(path.join(this.dir, "backend"));
    this.home = path.join(this.dir, "home");
  }

  static async create(prefix: string, config: Record<string, string | number | boolean>, projectDir = ROOT): Promise<BenchStack> {
    const s = new BenchStack(prefix, projectDir);
    await s.must(["stack", "init", "--secrets-provider", "passphrase"]);
    for (const [k, v] of Object.entries(config)) await s.setConfig(k, v);
    return s;
  }

  /** `npm run pulumi -- <args> --stack <name>` in the project directory. */
  run(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const started = Date.now();
    const cwdArgs = this.projectDir === ROOT ? [] : ["--cwd", this.projectDir];
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(ROOT, "scripts", "pulumi.js"), ...args, ...cwdArgs, "--stack", this.name], {
        cwd: ROOT,
        env: { ...process.env, PULUMI_BACKEND_URL: this.backendUrl, PULUMI_HOME: this.home, PULUMI_STACK: this.name, NO_COLOR: "1", ...opts.env },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      if (child.pid) opts.onStart?.(child.pid);
      const timer = setTimeout(() => {
        stderr += `\n(bench: killed after ${(opts.timeoutMs ?? 900_000) / 1000}s)`;
        if (child.pid) process.kill(-child.pid, "SIGTERM");
      }, opts.timeoutMs ?? 900_000);
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? 1, stdout, stderr, ms: Date.now() - started, pid: child.pid });
      });
    });
  }

  async must(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const r = await this.run(args, opts);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} (stack ${this.name}) exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r;
  }

  setConfig(key: string, value: string | number | boolean): Promise<RunResult> {
    return this.must(["config", "set", "--path", key, String(value)]);
  }

  removeConfig(key: string): Promise<RunResult> {
    return this.must(["config", "rm", "--path", key]);
  }

  up(opts: RunOptions = {}): Promise<RunResult> {
    return this.run(["up", "--yes", "--non-interactive"], opts);
  }

  preview(opts: RunOptions = {}): Promise<RunResult> {
    return this.run(["preview", "--non-interactive"], opts);
  }

  async outputs(): Promise<Record<string, unknown>> {
    return JSON.parse((await this.must(["stack", "output", "--json"])).stdout);
  }

  /** Destroys the stack's resources, removes the stack, its config file and its temp folders. */
  async cleanup(): Promise<void> {
    await this.run(["destroy", "--yes", "--skip-preview", "--non-interactive"]);
    await this.run(["stack", "rm", "--yes", "--force"]);
    fs.rmSync(path.join(ROOT, "stacks", `Pulumi.${this.name}.yaml`), { force: true });
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
