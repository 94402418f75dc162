// `npm run dashboard -- [--port 8090] [--actions]`: every stack of the project in a browser, with
// updates pushed as they happen. Read-only unless started with --actions; then the page's buttons
// (each asking for confirmation) run exactly the CLI commands a person would type.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { buildDashboardStatic } from "../components/dashboard/build-static";
import { CliResult, startDashboard } from "../components/dashboard/server";
import { stateDir } from "../components/state-dir";
import * as paths from "../components/targets/local/paths";
import { UsageError, parseFlags, runMain } from "./cli-args";

const USAGE = "npm run dashboard -- [--port <1024-65535, default 8090>] [--actions]";
const ROOT = path.resolve(__dirname, "..", "..");

function runCli(command: string, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, "scripts", "run-built.js"), command, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let done = false;
    const finish = (code: number | null) => {
      if (done) return;
      done = true;
      resolve({ code: code ?? 1, stdout, stderr });
    };
    child.on("close", finish);
    // An engine plugin the command started can outlive it holding its stdout, and then "close"
    // never comes: once the command itself exited, its output gets 2 s to drain, not forever.
    child.on("exit", (code) => setTimeout(() => finish(code), 2000).unref());
  });
}

async function main(): Promise<number> {
  const flags = parseFlags(
    process.argv.slice(2),
    {
      port: { type: "string", description: "port on 127.0.0.1" },
      actions: { type: "boolean", description: "allow pause, resume, promote, abort and rollback from the page" },
    },
    USAGE,
  );
  const port = flags.port === undefined ? 8090 : Number(flags.port);
  if (!Number.isInteger(port) || port < 1024 || port > 65535) throw new UsageError(`--port ${JSON.stringify(flags.port)} is not allowed (allowed: an integer from 1024 to 65535)\nusage: ${USAGE}`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const engineEnv = require(path.join(ROOT, "scripts", "engine-env.js")) as { fileBackendUrl(dir: string): string };
  const project = /^name:\s*(\S+)\s*$/m.exec(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"))?.[1] ?? "deployment-runbook";
  const staticDir = path.join(ROOT, "bin", "dashboard", "static");
  buildDashboardStatic(ROOT, staticDir);
  const dash = await startDashboard({
    loc: {
      root: ROOT,
      project,
      backendUrl: process.env.PULUMI_BACKEND_URL || engineEnv.fileBackendUrl(path.join(ROOT, ".state", "backend")),
      stateRoot: stateDir(),
      localPrometheusUrl: paths.prometheusUrl(),
    },
    port,
    actions: Boolean(flags.actions),
    staticDir,
    runCli,
  }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "EADDRINUSE") throw new UsageError(`--port ${port}: 127.0.0.1:${port} is already in use (choose another with --port)`);
    throw e;
  });
  process.stdout.write(`dashboard: ${dash.url} (${flags.actions ? "actions allowed: pause, resume, promote, abort, rollback" : "read-only; --actions allows pause, resume, promote, abort, rollback"}); Ctrl-C stops it\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await dash.close();
  return 0;
}

runMain(main);
