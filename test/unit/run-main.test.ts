// runMain's exit: a command whose callers wait on its exit (the rollback, run by the dashboard and by
// scripts) must end once its work is done, even with a handle left behind that would keep Node up.
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as path from "path";

const CLI_ARGS = path.resolve(__dirname, "..", "..", "scripts", "cli-args.js");

/** Runs a tiny command in a child process; kills it (and says so) if it is still alive after 30 s. */
function command(body: string): Promise<{ code: number | null; stdout: string; killed: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["-e", `const { runMain, atExit } = require(${JSON.stringify(CLI_ARGS)});\n${body}`], { stdio: ["ignore", "pipe", "ignore"] });
    let stdout = "";
    let killed = false;
    child.stdout.on("data", (d) => (stdout += d));
    const guard = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, 30_000);
    child.on("close", (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, killed });
    });
  });
}

describe("runMain", function () {
  this.timeout(60_000);

  it("with exitWhenDone, exits with main's code after the finishers, though a timer would keep the process alive", async () => {
    const r = await command(`
      setInterval(() => undefined, 1000); // what a lingering watcher or plugin pipe would be
      atExit(async () => console.log("finisher ran"));
      runMain(async () => { console.log("main done"); return 3; }, { exitWhenDone: true });
    `);
    assert.equal(r.killed, false, "the command did not exit on its own");
    assert.equal(r.code, 3);
    assert.equal(r.stdout, "main done\nfinisher ran\n");
  });

  it("with exitWhenDone, a usage error still exits 2", async () => {
    const r = await command(`
      const { UsageError } = require(${JSON.stringify(CLI_ARGS)});
      setInterval(() => undefined, 1000);
      runMain(async () => { throw new UsageError("--env is required"); }, { exitWhenDone: true });
    `);
    assert.equal(r.killed, false, "the command did not exit on its own");
    assert.equal(r.code, 2);
  });
});
