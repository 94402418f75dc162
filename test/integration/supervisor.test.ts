// Integration tests of components/targets/local/supervisor.ts against the real supervisord that
// scripts/bootstrap-local.sh starts (run here when it is not up). Each test program is a real
// `node` HTTP server named test-sup-<random>-...; every one is removed in `after`, even on failure.
import assert from "node:assert/strict";
import { execFileSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { ProgramSpec, ProgramStatus, Supervisor } from "../../components/targets/local/supervisor";

const ROOT = path.resolve(__dirname, "../../..");
const BOOTSTRAP = path.join(ROOT, "scripts/bootstrap-local.sh");
const PREFIX = `test-sup-${randomBytes(3).toString("hex")}-`;

// One line: a program's arguments may not contain line breaks (supervisor's ini format).
const SERVER_JS =
  'const http = require("http"); ' +
  "http.createServer((req, res) => { res.setHeader(\"content-type\", \"application/json\"); " +
  "res.end(JSON.stringify({ pid: process.pid, marker: process.env.MARKER })); })" +
  '.listen(Number(process.env.PORT), "127.0.0.1");';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value; fails naming `what` and the last value seen. */
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms (last: ${String(last)})`);
    await sleep(200);
  }
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => srv.once("error", reject).listen(0, "127.0.0.1", resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** GET the test server; undefined when nothing answers. */
function getJson(port: number): Promise<{ pid: number; marker?: string } | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/", agent: false, timeout: 2000 }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => {
        try {
          resolve(JSON.parse(body));
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
  });
}

/** True when `port` on 127.0.0.1 can be bound, i.e. nothing listens there any more. */
async function portIsFree(port: number): Promise<boolean> {
  const srv = net.createServer();
  const ok = await new Promise<boolean>((resolve) => {
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => resolve(true));
  });
  if (ok) await new Promise<void>((resolve) => srv.close(() => resolve()));
  return ok;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("Supervisor (real supervisord)", function () {
  this.timeout(90_000);
  const sup = new Supervisor();
  const web = `${PREFIX}web`;
  let port = 0;
  let spec: ProgramSpec;
  let first: ProgramStatus;
  let scratch = "";

  const running = (name: string, notPid?: number) =>
    until(`${name} RUNNING${notPid ? ` with a pid other than ${notPid}` : ""}`, 20_000, async () => {
      const s = await sup.status(name);
      return s.state === "RUNNING" && s.pid !== undefined && s.pid !== notPid ? s : undefined;
    });

  before(async function () {
    this.timeout(600_000); // a fresh machine installs packages first
    if (!(await sup.isRunning())) execFileSync("bash", [BOOTSTRAP], { stdio: "inherit", timeout: 600_000 });
    assert.equal(await sup.isRunning(), true, `supervisord is not answering for ${sup.config}`);
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "test-sup-"));
    port = await freePort();
    spec = {
      command: process.execPath,
      args: ["-e", SERVER_JS],
      env: { PORT: String(port), MARKER: "one" },
      stopwaitsecs: 5,
    };
  });

  after(async function () {
    this.timeout(120_000);
    const leftovers = new Set<string>();
    try {
      for (const n of await sup.programNames(PREFIX)) leftovers.add(n);
    } catch {
      // daemon gone: the files below are still ours to delete
    }
    for (const f of fs.existsSync(sup.programsDir) ? fs.readdirSync(sup.programsDir) : []) {
      if (f.startsWith(PREFIX) && f.endsWith(".conf")) leftovers.add(f.slice(0, -".conf".length));
    }
    for (const n of leftovers) {
      await sup.removeProgram(n).catch((err) => console.error(`cleanup of ${n} failed: ${err}`));
    }
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  it("ensureProgram starts a real process that status reports RUNNING with its pid", async () => {
    assert.equal(await sup.ensureProgram(web, spec), true);
    first = await running(web);
    assert.ok(first.pid! > 1);
    const answer = await until("the server to answer", 10_000, () => getJson(port));
    assert.equal(answer.pid, first.pid, "the pid supervisord reports is the process serving the port");
    assert.equal(answer.marker, "one");
    // The file may hold passwords in its environment line.
    assert.equal(fs.statSync(sup.programFile(web)).mode & 0o777, 0o600);
    assert.ok((await sup.programNames(PREFIX)).includes(web));
  });

  it("restarts the process with a new pid after it is killed with SIGKILL", async () => {
    const before = await running(web);
    process.kill(before.pid!, "SIGKILL");
    const after = await running(web, before.pid);
    assert.notEqual(after.pid, before.pid);
    assert.equal(isAlive(before.pid!), false);
    const answer = await until("the restarted server to answer", 10_000, async () => {
      const a = await getJson(port);
      return a?.pid === after.pid ? a : undefined;
    });
    assert.equal(answer.pid, after.pid);
  });

  it("leaves an unchanged program alone: same pid, returns false", async () => {
    const before = await running(web);
    assert.equal(await sup.ensureProgram(web, { ...spec, env: { MARKER: "one", PORT: String(port) } }), false);
    await sleep(1500); // long enough for a restart (startsecs 1) to have shown
    const after = await sup.status(web);
    assert.equal(after.state, "RUNNING");
    assert.equal(after.pid, before.pid);
    assert.equal((await getJson(port))?.pid, before.pid);
  });

  it("restarts the process when its environment changes", async () => {
    const before = await running(web);
    spec = { ...spec, env: { ...spec.env, MARKER: "two" } };
    assert.equal(await sup.ensureProgram(web, spec), true);
    const after = await running(web, before.pid);
    assert.equal(isAlive(before.pid!), false, "the old process was stopped");
    const answer = await until("the server to answer with the new environment", 10_000, async () => {
      const a = await getJson(port);
      return a?.marker === "two" ? a : undefined;
    });
    assert.equal(answer.pid, after.pid);
  });

  it("passes awkward arguments and environment values through unchanged", async () => {
    const name = `${PREFIX}echo`;
    const out = path.join(scratch, "echo.json");
    const args = [
      "plain", "with space", "it's", 'say "hi"', "100%", "%(ENV_HOME)s", "a ;b", "c #d", "tab\t;e",
      "$HOME", "back\\slash", "", "-dash", "ünïcode", "x=y,z",
    ];
    const env = {
      PCT: "50% off %(ENV_HOME)s %s", COMMA: "a,b=c", SQ: "it's", DQ: 'say "hi" now', SPACE: "a b",
      BS: "C:\\path\\", URL: "postgres://u:p%40ss@127.0.0.1:5432/db?x=1&y=2", EMPTY: "", SEMI: "a;b#c",
    };
    // Writes what it received, then stays up so supervisord counts it as started.
    const script =
      "require('fs').writeFileSync(process.env.OUT, JSON.stringify({ argv: process.argv.slice(1), " +
      `env: Object.fromEntries(${JSON.stringify(Object.keys(env))}.map((k) => [k, process.env[k]])) })); ` +
      "setInterval(() => {}, 1000);";
    await sup.ensureProgram(name, { command: process.execPath, args: ["-e", script, ...args], env: { ...env, OUT: out }, directory: scratch });
    const seen = await until("the echo program to write its input", 15_000, async () =>
      fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, "utf8")) as { argv: string[]; env: Record<string, string> }) : undefined,
    );
    assert.deepEqual(seen.argv, args);
    assert.deepEqual(seen.env, env);
    await sup.removeProgram(name);
  });

  it("refuses an environment value supervisor cannot represent, naming the program and variable", async () => {
    const name = `${PREFIX}bad-env`;
    for (const [value, why] of [
      [`a'b"c`, /both ' and "/],
      ['"quoted"', /quote character/],
      ["x ;y", /followed by ";"/],
      ["two\nlines", /line break/],
      ["see %(here)s", /%\(here\)s/],
    ] as const) {
      await assert.rejects(sup.ensureProgram(name, { ...spec, env: { SECRET: value } }), (err: Error) => {
        assert.match(err.message, new RegExp(`${name}: env SECRET`));
        assert.match(err.message, why);
        return true;
      });
    }
    assert.equal(fs.existsSync(sup.programFile(name)), false, "nothing was written");
  });

  it("stop, start and restart drive the process; statusAll lists it", async () => {
    const before = await running(web);
    await sup.stop(web);
    assert.equal((await sup.status(web)).state, "STOPPED");
    assert.equal((await sup.status(web)).pid, undefined);
    assert.equal(await portIsFree(port), true, "a stopped program no longer holds its port");
    await sup.stop(web); // already stopped: no error
    await sup.start(web);
    const started = await sup.status(web);
    assert.equal(started.state, "RUNNING"); // start waits for startsecs
    assert.notEqual(started.pid, before.pid);
    await sup.restart(web);
    const restarted = await sup.status(web);
    assert.equal(restarted.state, "RUNNING");
    assert.notEqual(restarted.pid, started.pid);
    const all = await sup.statusAll(PREFIX);
    assert.deepEqual(all.find((s) => s.name === web), restarted);
    assert.ok(all.every((s) => s.name.startsWith(PREFIX)));
  });

  it("removeProgram stops the process, frees its port and forgets the program", async () => {
    const before = await running(web);
    await sup.removeProgram(web);
    assert.equal(isAlive(before.pid!), false);
    assert.equal(await portIsFree(port), true, `port ${port} is still taken`);
    assert.equal(fs.existsSync(sup.programFile(web)), false);
    assert.ok(!(await sup.programNames(PREFIX)).includes(web));
    await assert.rejects(sup.status(web), new RegExp(`status ${web} failed.*no such process`));
    await sup.removeProgram(web); // absent: no error
  });

  it("says supervisord is not running when its config is not there", async () => {
    const absent = new Supervisor(path.join(scratch, "supervisor", "supervisord.conf"));
    assert.equal(await absent.isRunning(), false);
    await assert.rejects(absent.status(web), /status test-sup-.*supervisord is not running.*bootstrap-local\.sh/);
  });

  it("rejects invalid program names, naming the name", async () => {
    for (const bad of ["Web", "-web", "web_1", "a b", "", "../etc", "web.conf"]) {
      const quoted = JSON.stringify(bad).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      await assert.rejects(sup.ensureProgram(bad, spec), new RegExp(`invalid supervisor program name ${quoted}`));
      await assert.rejects(sup.removeProgram(bad), new RegExp(quoted));
      await assert.rejects(sup.status(bad), new RegExp(quoted));
    }
  });
});
