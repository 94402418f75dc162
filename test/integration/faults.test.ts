// Fault tests on the local target with the real engine: `pulumi up` killed mid-shift, an nginx
// config that would not load, an instance and supervisord killed during a shift, PostgreSQL
// stopped before a backup, Prometheus gone during a gate, two `up`s at once, a table of bad
// inputs, and secrets kept out of every file and output. A load generator runs through the faults
// that must not cost a single request.
//
// These tests stop and kill services on purpose, so they run on their own copies and never on the
// ones other stacks and test runs share: a supervisord (with its own Redis and Prometheus) under a
// private RUNBOOK_STATE_DIR, and for the backup fault a PostgreSQL cluster of their own. The
// program, its providers and the npm scripts all read those locations from the environment.
import { strict as assert } from "assert";
import { ChildProcess, execFile, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { Supervisor } from "../../components/targets/local/supervisor";
import { instanceProgram, routerProgram, serviceKey } from "../../components/targets/local/names";
import { LoadReport, measureSplit, splitTolerancePoints, startLoad } from "../../scripts/load";
import { Proc, descendants, isAlive } from "../../scripts/processes";
import { ROOT, RunResult, SHORT_ANALYSIS, ThrowawayStack } from "./harness";
import { POLICY_ENV, WEDNESDAY_NOON, writePolicyConfig } from "./policy-clock";

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// Ports of this file: routers 19100-19400, instances 22000-23900 (see the brief in issue 7).
const ROUTER_PORT = 19100;
const BASE_PORT = 22000;
const ROUTER_URL = `http://127.0.0.1:${ROUTER_PORT}/`;
const PG_ROUTER_PORT = 19110;
const PG_BASE_PORT = 22200;
const PRIVATE_REDIS_PORT = 23891;
const PRIVATE_PROMETHEUS_PORT = 23892;
const PRIVATE_PG_PORT = 23890;
const PRIVATE_PG_CLUSTER = "rbfaults";

/** Bounded load: 20 workers at 40 requests/s each, never longer than 5 minutes. */
const LOAD = { concurrency: 20, perWorkerRps: 40, maxSeconds: 300 };

/** Secret values whose plain text must appear nowhere after a full run. */
const WEBHOOK_URL = "http://127.0.0.1:9/hook";
const DB_PASSWORD = "runbook-local";
/** A bad value set as a secret by the bad-input table; it must not be echoed either. */
const BAD_SECRET = "hooks.example.com/T0/B0/secret-token";
// notifications.webhookUrl needs its signing key (the record's post is signed with it).
const SIGNING_KEY = "faults-signing-key-0123456789";
const SECRETS = [WEBHOOK_URL, DB_PASSWORD, BAD_SECRET, SIGNING_KEY];

/**
 * Gates without retries, so a gate a fault breaks fails at once. The analysis window keeps its
 * default (10 s): a shorter one loses too many of a new instance's requests to Prometheus's first
 * scrape and comes out inconclusive.
 */
const FAST_GATES = { "gates.retries": 0, ...SHORT_ANALYSIS };

// --- private services ---------------------------------------------------------------------------

/** A supervisord with its own Redis and Prometheus under a private state dir (bootstrap-local.sh). */
class PrivateServices {
  readonly stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "rb-faults-"));
  readonly env: Record<string, string> = {
    RUNBOOK_STATE_DIR: this.stateDir,
    RUNBOOK_REDIS_PORT: String(PRIVATE_REDIS_PORT),
    RUNBOOK_PROMETHEUS_PORT: String(PRIVATE_PROMETHEUS_PORT),
  };
  readonly supervisor = new Supervisor(path.join(this.stateDir, "supervisor", "supervisord.conf"));

  /** Runs scripts/bootstrap-local.sh for the private state dir (starts supervisord when it is not running). */
  async bootstrap(): Promise<void> {
    const r = await execFileAsync("bash", [path.join(ROOT, "scripts", "bootstrap-local.sh")], {
      cwd: ROOT,
      env: { ...process.env, ...this.env },
      timeout: 180_000,
    }).catch((e) => e);
    if (r instanceof Error) throw new Error(`bootstrap-local.sh failed: ${r.message}\n${(r as { stdout?: string }).stdout ?? ""}`);
  }

  supervisordPid(): number | undefined {
    const file = path.join(this.stateDir, "logs", "supervisord.pid");
    const pid = fs.existsSync(file) ? Number(fs.readFileSync(file, "utf8").trim()) : NaN;
    return Number.isInteger(pid) && isAlive(pid) ? pid : undefined;
  }

  async prometheusReady(): Promise<boolean> {
    return (await httpStatus(`http://127.0.0.1:${PRIVATE_PROMETHEUS_PORT}/-/ready`)) === 200;
  }

  /** Stops supervisord and everything it runs (it was started by this file), then removes the state dir. */
  async shutdown(): Promise<void> {
    const pid = this.supervisordPid();
    if (pid) {
      process.kill(pid, "SIGTERM");
      await until(`supervisord ${pid} to exit`, 90_000, async () => !isAlive(pid));
    }
    fs.rmSync(this.stateDir, { recursive: true, force: true });
  }
}

/** Runs a command as root (sudo -n when not root), as bootstrap-local.sh does. */
function asRoot(cmd: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return process.getuid?.() === 0 ? execFileAsync(cmd, args, { timeout: 120_000 }) : execFileAsync("sudo", ["-n", cmd, ...args], { timeout: 120_000 });
}

function pgVersion(): string {
  const versions = fs.readdirSync("/usr/lib/postgresql").filter((v) => fs.existsSync(`/usr/lib/postgresql/${v}/bin/postgres`));
  return versions.sort((a, b) => Number(a) - Number(b)).pop()!;
}

/** A PostgreSQL cluster of this file's own (Debian's cluster tools), with the runbook role and database. */
class PrivateCluster {
  readonly version = pgVersion();
  async create(): Promise<void> {
    await this.drop(); // a cluster left by an interrupted run
    await asRoot("pg_createcluster", [this.version, PRIVATE_PG_CLUSTER, "-p", String(PRIVATE_PG_PORT), "--start", "--", "--auth-host=scram-sha-256"]);
    const sql = `CREATE ROLE runbook LOGIN CREATEDB PASSWORD '${DB_PASSWORD}'; CREATE DATABASE runbook OWNER runbook;`;
    for (const statement of sql.split("; ")) {
      await asRoot("runuser", ["-u", "postgres", "--", "psql", "-X", "-q", "-p", String(PRIVATE_PG_PORT), "-d", "postgres", "-c", statement]);
    }
  }
  stop(): Promise<unknown> {
    return asRoot("pg_ctlcluster", [this.version, PRIVATE_PG_CLUSTER, "stop"]);
  }
  async start(): Promise<void> {
    await asRoot("pg_ctlcluster", [this.version, PRIVATE_PG_CLUSTER, "start"]).catch(() => undefined); // already running is fine
    await until("the private PostgreSQL to accept connections", 30_000, async () =>
      execFileAsync("pg_isready", ["-q", "-h", "127.0.0.1", "-p", String(PRIVATE_PG_PORT)]).then(() => true, () => false),
    );
  }
  async drop(): Promise<void> {
    const { stdout } = await execFileAsync("pg_lsclusters", ["-h"]);
    if (stdout.split("\n").some((l) => l.split(/\s+/)[1] === PRIVATE_PG_CLUSTER)) {
      await asRoot("pg_dropcluster", ["--stop", this.version, PRIVATE_PG_CLUSTER]);
    }
  }
}

// --- processes ----------------------------------------------------------------------------------

async function until(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(200);
  }
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    http
      .get(url, { timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on("error", () => resolve(0))
      .on("timeout", function (this: http.ClientRequest) {
        this.destroy();
      });
  });
}

// --- the engine ---------------------------------------------------------------------------------

/** Everything the engine and the npm scripts printed in this file, for the secrets scan. */
const transcript: string[] = [];

/** Runs a node script of the project (scripts/pulumi.js, scripts/run-built.js) with exactly `args`. */
async function node(stack: ThrowawayStack, script: string, args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  const r = await stack.node(script, args, env);
  transcript.push(r.stdout, r.stderr);
  return r;
}

/** `pulumi up` in its own process group, so a test can kill it the way a crash would. */
class DetachedUp {
  readonly child: ChildProcess;
  output = "";
  readonly done: Promise<RunResult>;

  constructor(stack: ThrowawayStack, env: NodeJS.ProcessEnv) {
    const started = Date.now();
    this.child = spawn(process.execPath, [path.join(ROOT, "scripts", "pulumi.js"), "up", "--yes", "--non-interactive", "--stack", stack.name], {
      cwd: ROOT,
      env: stack.wrapperEnv(env),
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stdout!.on("data", (d) => (this.output += d));
    this.child.stderr!.on("data", (d) => (this.output += d));
    this.done = new Promise((resolve) =>
      this.child.on("close", (code) => {
        transcript.push(this.output);
        resolve({ code: code ?? 1, stdout: this.output, stderr: "", ms: Date.now() - started });
      }),
    );
  }

  /** Resolves when the engine prints `text`; throws when the update ends first or time runs out. */
  async waitFor(text: string, timeoutMs = 180_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let ended = false;
    void this.done.then(() => (ended = true));
    while (!this.output.includes(text)) {
      if (ended) throw new Error(`pulumi up ended before printing "${text}":\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`pulumi up did not print "${text}" within ${timeoutMs / 1000}s:\n${this.output}`);
      await sleep(100);
    }
  }

  /**
   * SIGKILL to the wrapper's process group (the wrapper and the engine). The engine starts its
   * plugins (language host, dynamic provider, policy pack) in process groups of their own, so a
   * group kill leaves them running as orphans; a crash of the machine or the session would take
   * them too, so they are killed by pid here. Returns what the group kill alone left behind.
   */
  async kill(): Promise<Proc[]> {
    const tree = descendants(this.child.pid!);
    process.kill(-this.child.pid!, "SIGKILL");
    await this.done;
    await sleep(300);
    const orphans = tree.filter((p) => isAlive(p.pid));
    for (const p of orphans) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // exited meanwhile
      }
    }
    return orphans;
  }
}

// --- state ----------------------------------------------------------------------------------------

function backendDir(stack: ThrowawayStack): string {
  return new URL(stack.backendUrl).pathname;
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/** The stack's lock files in the file backend (`.pulumi/locks/<org>/<project>/<stack>/<id>.json`). */
function lockFiles(stack: ThrowawayStack): string[] {
  return filesUnder(path.join(backendDir(stack), ".pulumi", "locks")).filter((f) => f.endsWith(".json") && path.basename(path.dirname(f)) === stack.name);
}

interface PendingOperation {
  type: string;
  resource: { urn: string };
}

/** The URNs of the pending operations in the stack's checkpoint file, read without the CLI (an update holds the stack). */
function pendingInFile(stack: ThrowawayStack): string[] {
  const text = stack.stateFile();
  if (!text) return [];
  try {
    const latest = (JSON.parse(text) as { checkpoint?: { latest?: { pending_operations?: PendingOperation[] } } }).checkpoint?.latest;
    return (latest?.pending_operations ?? []).map((op) => op.resource.urn);
  } catch {
    return []; // caught mid-write
  }
}

async function exportState(stack: ThrowawayStack): Promise<{ deployment: { resources?: unknown[]; pending_operations?: PendingOperation[] } }> {
  const r = await stack.must(["stack", "export"]);
  return JSON.parse(r.stdout);
}

/**
 * What an operator does after an update died (killed, machine lost): make sure nobody holds the
 * lock any more (its file names the pid and host), remove it with `pulumi cancel`, and clear the
 * creates the engine recorded as pending (they stay pending through any number of later `up`s
 * until cleared; every create in this program is safe to run again, so `up` re-creates them).
 * Interrupted updates need nothing: the next `up` compares with the last recorded state, warns
 * about them, and applies the change again. Returns the commands it ran.
 */
async function recoverInterruptedUpdate(stack: ThrowawayStack): Promise<string[]> {
  const ran: string[] = [];
  for (const file of lockFiles(stack)) {
    const lock = JSON.parse(fs.readFileSync(file, "utf8")) as { pid: number; hostname: string };
    assert.equal(lock.hostname, os.hostname(), `lock ${file} is held from another machine`);
    assert.ok(!isAlive(lock.pid), `lock ${file} is held by pid ${lock.pid}, which still runs: that update is not dead`);
  }
  if (lockFiles(stack).length) {
    await stack.must(["cancel", "--yes"]);
    ran.push("pulumi cancel --yes");
  }
  const pending = (await exportState(stack)).deployment.pending_operations ?? [];
  if (pending.some((op) => op.type === "creating")) {
    await stack.must(["refresh", "--clear-pending-creates", "--yes", "--non-interactive"]);
    ran.push("pulumi refresh --clear-pending-creates --yes");
  }
  return ran;
}

async function pidsOf(services: PrivateServices, stack: ThrowawayStack): Promise<Record<string, number | undefined>> {
  const all = await services.supervisor.statusAll(serviceKey(stack.name, "app"));
  return Object.fromEntries(all.map((s) => [s.name, s.pid]));
}

function greenPercent(split: { blue: number; green: number; other: number }): number {
  return (split.green / (split.blue + split.green + split.other)) * 100;
}

async function assertSplit(greenPct: number, n = 1000): Promise<void> {
  const split = await measureSplit(ROUTER_URL, n);
  assert.equal(split.other, 0, `requests not served by blue or green: ${JSON.stringify(split)}`);
  const measured = greenPercent(split);
  const tolerance = splitTolerancePoints(greenPct, n);
  assert.ok(Math.abs(measured - greenPct) <= tolerance, `green got ${measured.toFixed(1)}% of ${n} requests, expected ${greenPct}% ± ${tolerance.toFixed(1)}`);
}

/** Runs `fn` with a load generator running throughout; returns what the load saw. */
async function underLoad(fn: () => Promise<void>): Promise<LoadReport> {
  const load = startLoad(ROUTER_URL, LOAD);
  await sleep(500);
  let report: LoadReport;
  try {
    await fn();
    await sleep(500);
  } finally {
    report = await load.stop();
  }
  assert.ok(report.requests > 0, `the load generator sent nothing:\n${report.raw}`);
  return report;
}

// --- the tests ------------------------------------------------------------------------------------

describe("fault tests (real engine, private supervisord, Prometheus and PostgreSQL)", function () {
  this.timeout(900_000);
  const services = new PrivateServices();
  const ENV = { ...POLICY_ENV, ...services.env };

  before(async () => {
    await services.bootstrap();
  });

  after(async () => {
    await services.shutdown();
  });

  describe("a running blue/green stack under faults", function () {
    let stack: ThrowawayStack;
    const up = async (extra: NodeJS.ProcessEnv = {}) => {
      const r = await stack.up({ ...ENV, ...extra });
      transcript.push(r.stdout, r.stderr);
      return r;
    };
    const traffic = async () => (await stack.outputs()).traffic;

    /** Brings the stack to `green` percent (recovering from an earlier test's fault first). */
    async function settle(green: number): Promise<void> {
      if (!(await services.supervisor.isRunning())) await services.bootstrap();
      const ran = await recoverInterruptedUpdate(stack);
      const now = (await stack.outputs().catch(() => ({}))) as { traffic?: unknown };
      if (!ran.length && JSON.stringify(now.traffic) === JSON.stringify({ blue: 100 - green, green })) return;
      await stack.setConfig("traffic.green", green);
      const r = await up();
      assert.equal(r.code, 0, `could not settle at green ${green}%:\n${r.stdout}\n${r.stderr}`);
    }

    before(async () => {
      stack = await ThrowawayStack.create("fault", {
        "blue.version": "v1.0.0",
        "blue.replicas": 2,
        "green.replicas": 2,
        "local.routerPort": ROUTER_PORT,
        "local.basePort": BASE_PORT,
        ...FAST_GATES,
      });
      await stack.setConfig("notifications.webhookUrl", WEBHOOK_URL, { secret: true });
      await stack.setConfig("notifications.signingKey", SIGNING_KEY, { secret: true });
      for (const [key, value] of [["blue.version", "v1.0.0"], ["green.version", "v2.0.0"], ["traffic.green", "10"]]) {
        await stack.setConfig(key, value);
        const r = await up();
        assert.equal(r.code, 0, `setting up (${key} ${value}) failed:\n${r.stdout}\n${r.stderr}`);
      }
    });

    after(async () => {
      if (!stack) return;
      // Destroy needs the private supervisord; a test may have left it stopped or the stack locked.
      if (!(await services.supervisor.isRunning())) await services.bootstrap().catch(() => undefined);
      await recoverInterruptedUpdate(stack).catch(() => undefined);
      await stack.cleanup();
    });

    it("pulumi up SIGKILLed during the gate of a 10 -> 50 shift: stack locked, update pending, traffic unchanged; cancel + up converges to 50 with zero failed requests", async () => {
      await settle(10);
      await stack.setConfig("traffic.green", 50);
      let orphans: Proc[] = [];
      let ran: string[] = [];
      const report = await underLoad(async () => {
        const killed = new DetachedUp(stack, ENV);
        await killed.waitFor("app-green-gate-check updating");
        await sleep(1500); // inside the gate's analysis window
        orphans = await killed.kill();

        // The dead update holds the lock, and the state records the gate as interrupted.
        const locked = await up();
        assert.notEqual(locked.code, 0);
        assert.match(locked.stdout + locked.stderr, /the stack is currently locked by 1 lock\(s\)/);
        const pending = (await exportState(stack)).deployment.pending_operations ?? [];
        assert.ok(
          pending.some((op) => op.type === "updating" && op.resource.urn.endsWith("::app-green-gate-check")),
          `expected the gate's update to be pending, got ${JSON.stringify(pending.map((p) => [p.type, p.resource.urn]))}`,
        );
        // The weights depend on the gate, which never finished: the router still sends 10%.
        assert.deepEqual(await traffic(), { blue: 90, green: 10 });
        await assertSplit(10);

        ran = await recoverInterruptedUpdate(stack);
        assert.deepEqual(ran, ["pulumi cancel --yes"]);
        const again = await up();
        assert.equal(again.code, 0, again.stdout + again.stderr);
        assert.match(again.stdout, /1 pending operations from previous deployment/);
      });
      console.log(`      group kill left ${orphans.length} engine plugin process(es) running: ${orphans.map((p) => p.cmd.split(" ").slice(0, 2).join(" ")).join("; ")}`);
      console.log(`      recovery: ${ran.join(", ")}, pulumi up --yes; load: ${report.requests} requests, ${report.requestsPerSecond.toFixed(0)}/s, ${report.failed} failed`);
      assert.equal(report.failed, 0, `failed requests during the kill and recovery:\n${report.raw}`);
      assert.deepEqual(await traffic(), { blue: 50, green: 50 });
      assert.deepEqual((await exportState(stack)).deployment.pending_operations ?? [], []);
      assert.deepEqual(lockFiles(stack), []);
      await assertSplit(50);
    });

    it("pulumi up SIGKILLed while the router weights change (rollback 50 -> 10): recovery converges to 10 with zero failed requests", async () => {
      await settle(50);
      await stack.setConfig("traffic.green", 10);
      // The weights update (nginx -t, reload, confirm) takes a fraction of a second, less than the
      // output polling and the kill need once the engine starts fast: an nginx whose reload waits
      // 3 s keeps the update running while the kill lands. The new weights file is in place by
      // then, so the orphaned reload may still apply it later: either split serves every request.
      const slowDir = fs.mkdtempSync(path.join(os.tmpdir(), "rb-nginx-slow-"));
      const slow = path.join(slowDir, "nginx");
      fs.writeFileSync(slow, `#!/bin/sh
for a in "$@"; do
  if [ "$a" = "reload" ]; then sleep 5; fi
done
exec /usr/sbin/nginx "$@"
`, { mode: 0o755 });
      const report = await underLoad(async () => {
        const killed = new DetachedUp(stack, { ...ENV, RUNBOOK_NGINX: slow });
        await killed.waitFor("app-router-weights updating");
        // The engine prints the step before its checkpoint (with the pending update) is on disk;
        // on a loaded machine a kill right after the line once landed before the write.
        await until("the checkpoint to record the weights update as pending", 4_000, async () => pendingInFile(stack).some((urn) => urn.endsWith("::app-router-weights")));
        await killed.kill();
        const pending = (await exportState(stack)).deployment.pending_operations ?? [];
        assert.ok(
          pending.some((op) => op.type === "updating" && op.resource.urn.endsWith("::app-router-weights")),
          `expected the weights update to be pending, got ${JSON.stringify(pending.map((p) => [p.type, p.resource.urn]))}`,
        );
        // Whichever weights nginx has now (the reload may or may not have happened), every request is served.
        const split = await measureSplit(ROUTER_URL, 500);
        assert.equal(split.other, 0, JSON.stringify(split));
        await recoverInterruptedUpdate(stack);
        const again = await up();
        assert.equal(again.code, 0, again.stdout + again.stderr);
      }).finally(() => fs.rmSync(slowDir, { recursive: true, force: true }));
      assert.equal(report.failed, 0, `failed requests during the kill and recovery:\n${report.raw}`);
      assert.deepEqual(await traffic(), { blue: 90, green: 10 });
      await assertSplit(10);
    });

    it("an nginx config that fails `nginx -t` is never loaded: up fails naming it, the router keeps serving its current weights", async () => {
      await settle(10);
      const dir = path.join(services.stateDir, "nginx", routerProgram(stack.name, "app"));
      const live = ["nginx.conf", "weights.conf"].map((f) => fs.readFileSync(path.join(dir, f), "utf8"));
      const routerPid = (await pidsOf(services, stack))[routerProgram(stack.name, "app")];
      // The router provider runs $RUNBOOK_NGINX; this one fails every config test, as nginx does
      // for a config it cannot load, and passes everything else to the real nginx.
      const fake = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rb-nginx-")), "nginx");
      fs.writeFileSync(
        fake,
        `#!/bin/sh\nfor a in "$@"; do\n  if [ "$a" = "-t" ]; then echo "nginx: [emerg] unknown directive \\"injected_by_faults_test\\"" >&2; exit 1; fi\ndone\nexec /usr/sbin/nginx "$@"\n`,
        { mode: 0o755 },
      );
      await stack.setConfig("traffic.green", 0); // a rollback: no gate, straight to the weights
      let result: RunResult | undefined;
      try {
        const report = await underLoad(async () => {
          result = await up({ RUNBOOK_NGINX: fake });
        });
        assert.notEqual(result!.code, 0, "the update succeeded with a config nginx rejects");
        assert.match(result!.stdout, /nginx rejected the new router config; the running router keeps its current config:\s+nginx: \[emerg\] unknown directive "injected_by_faults_test"/);
        assert.equal(report.failed, 0, report.raw);
      } finally {
        fs.rmSync(path.dirname(fake), { recursive: true, force: true });
      }
      assert.deepEqual(await traffic(), { blue: 90, green: 10 });
      assert.deepEqual(["nginx.conf", "weights.conf"].map((f) => fs.readFileSync(path.join(dir, f), "utf8")), live, "the live router config changed");
      assert.equal((await pidsOf(services, stack))[routerProgram(stack.name, "app")], routerPid, "the router was restarted");
      await assertSplit(10);
    });

    it("an instance of the color gaining traffic SIGKILLed mid-shift (10 -> 50): supervisord restarts it and the stack converges and serves", async () => {
      await settle(10);
      const name = instanceProgram(stack.name, "app", "green", 0);
      const before = (await pidsOf(services, stack))[name]!;
      await stack.setConfig("traffic.green", 50);
      let first: RunResult | undefined;
      let second: RunResult | undefined;
      const report = await underLoad(async () => {
        const shift = new DetachedUp(stack, ENV);
        await shift.waitFor("app-green-gate-check updating");
        await sleep(1000);
        process.kill(before, "SIGKILL");
        first = await shift.done;
        // The gate may see the crash and refuse (then traffic stays): running up again converges.
        if (first.code !== 0) {
          assert.match(first.stdout, /health gate for green v2\.0\.0 failed/, first.stdout);
          assert.deepEqual(await traffic(), { blue: 90, green: 10 });
          second = await up();
          assert.equal(second.code, 0, second.stdout + second.stderr);
        }
      });
      console.log(`      first up ${first!.code === 0 ? "passed" : "was stopped by the gate"}${second ? ", second up passed" : ""}; load: ${report.requests} requests, ${report.failed} failed`);
      // The up can finish while the restarted process is still in supervisord's startsecs window
      // (STARTING): the restart itself is what is asserted, so wait for it to settle.
      await until("supervisord to report the restarted instance RUNNING", 30_000, async () => (await services.supervisor.status(name)).state === "RUNNING");
      const after = await services.supervisor.status(name);
      assert.equal(after.state, "RUNNING");
      assert.ok(after.pid && after.pid !== before, "supervisord did not restart the killed instance");
      // nginx retries a refused or reset connection on the other instance; at most the killed
      // instance's in-flight requests may fail (one per load worker).
      assert.ok(report.failed <= LOAD.concurrency, `${report.failed} failed requests:\n${report.raw}`);
      assert.deepEqual(await traffic(), { blue: 50, green: 50 });
      await assertSplit(50);
    });

    it("supervisord SIGTERMed during a shift (rollback 50 -> 10): after bootstrap-local.sh and up, the stack converges and serves", async () => {
      await settle(50);
      const beforePids = await pidsOf(services, stack);
      await stack.setConfig("traffic.green", 10);
      const supervisord = services.supervisordPid()!;
      assert.ok(supervisord, "the private supervisord is not running");
      const shift = new DetachedUp(stack, ENV);
      await shift.waitFor("app-router-weights updating");
      process.kill(supervisord, "SIGTERM");
      await until("supervisord to stop its programs and exit", 90_000, async () => !isAlive(supervisord));
      const interrupted = await shift.done;
      assert.ok(!(await services.supervisor.isRunning()));
      assert.equal(await httpStatus(ROUTER_URL), 0, "the router still answers with supervisord stopped");

      await services.bootstrap();
      const again = await up();
      assert.equal(again.code, 0, again.stdout + again.stderr);
      console.log(`      the interrupted up exited ${interrupted.code}; bootstrap + up converged`);
      const afterPids = await pidsOf(services, stack);
      assert.deepEqual(Object.keys(afterPids), Object.keys(beforePids));
      for (const [program, pid] of Object.entries(afterPids)) {
        assert.ok(pid && pid !== beforePids[program], `${program} is not running again under the new supervisord`);
      }
      assert.deepEqual(await traffic(), { blue: 90, green: 10 });
      const report = await underLoad(() => assertSplit(10));
      assert.equal(report.failed, 0, report.raw);
    });

    it("Prometheus unreachable during a gate: the gate fails as inconclusive (never passes) and traffic stays", async () => {
      await settle(10);
      const gatesBefore = (await stack.outputs()).gates;
      await stack.setConfig("traffic.green", 50);
      let result: RunResult;
      try {
        const shift = new DetachedUp(stack, ENV);
        await shift.waitFor("app-green-gate-check updating");
        await services.supervisor.stop("runbook-prometheus");
        result = await shift.done;
      } finally {
        await services.supervisor.start("runbook-prometheus");
        await until("the private Prometheus to be ready", 60_000, () => services.prometheusReady());
      }
      assert.notEqual(result.code, 0, "the gate passed without metrics");
      assert.match(result.stdout, /health gate for green v2\.0\.0 failed/);
      const why = `metrics unavailable \\(Prometheus at http://127\\.0\\.0\\.1:${PRIVATE_PROMETHEUS_PORT}: [^\\n]*\\): inconclusive`;
      assert.match(result.stdout, new RegExp(`✗ error-rate: ${why}`));
      assert.match(result.stdout, new RegExp(`✗ latency: ${why}`));
      assert.match(result.stdout, /traffic stays at blue 90% \/ green 10%/);
      assert.deepEqual(await traffic(), { blue: 90, green: 10 });
      assert.deepEqual((await stack.outputs()).gates, gatesBefore);
      await assertSplit(10);
    });

    it("two ups on the same stack at once: the second is refused by the state lock, the first completes, the state is intact", async () => {
      await settle(10);
      await stack.setConfig("traffic.green", 50);
      const first = new DetachedUp(stack, ENV);
      // The file backend takes the lock before the update's preview; start the second then.
      await until("the first up to take the stack lock", 120_000, async () => lockFiles(stack).length > 0);
      const second = await up();
      const firstResult = await first.done;
      assert.notEqual(second.code, 0, "both ups ran");
      assert.match(second.stdout + second.stderr, /the stack is currently locked by 1 lock\(s\)\. Either wait for the other process\(es\) to end/);
      assert.match(second.stdout + second.stderr, /created by [^@\s]+@[^\s]+ \(pid \d+\)/);
      assert.equal(firstResult.code, 0, firstResult.stdout);
      const state = await exportState(stack); // parses: the state file was not corrupted
      assert.deepEqual(state.deployment.pending_operations ?? [], []);
      assert.ok((state.deployment.resources ?? []).length >= 15, "resources are missing from the state");
      assert.deepEqual(lockFiles(stack), []);
      assert.deepEqual(await traffic(), { blue: 50, green: 50 });
      await assertSplit(50);
    });

    describe("bad inputs: a clear error naming the input and the allowed values; state file and processes untouched", function () {
      interface Row {
        title: string;
        /** Runs the bad input; config rows edit the stack config first (restored afterwards). */
        run: () => Promise<RunResult>;
        expect: RegExp[];
      }
      const stackFile = () => path.join(ROOT, "stacks", `Pulumi.${stack.name}.yaml`);

      const config = (key: string, value: string, message: RegExp, opts: { secret?: boolean } = {}): Row => ({
        title: `config ${key} = ${JSON.stringify(value)}`,
        run: async () => {
          await stack.setConfig(key, value, { secret: opts.secret });
          return up();
        },
        expect: [message, /Nothing was changed\./],
      });
      const policy = (title: string, content: string | Record<string, unknown>, message: RegExp): Row => ({
        title: `policy config ${title}`,
        run: async () => {
          // A promotion (50 -> 60), so every policy judges it.
          await stack.setConfig("traffic.green", 60);
          const file = typeof content === "string" ? path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rb-policy-")), "bad.json") : writePolicyConfig(content);
          if (typeof content === "string") fs.writeFileSync(file, content);
          try {
            return await up({ RUNBOOK_POLICY_CONFIG: file });
          } finally {
            fs.rmSync(path.dirname(file), { recursive: true, force: true });
          }
        },
        expect: [message],
      });
      const script = (args: string[], message: RegExp): Row => ({
        title: `npm run ${args[0] === "health" ? "health" : `db:${args[1]}`} -- ${args.slice(args[0] === "health" ? 1 : 2).join(" ")}`.trim(),
        run: () => node(stack, "run-built.js", args.map((a) => a.replace("<stack>", stack.name)), services.env),
        expect: [message, /usage: npm run|allowed|no such stack|is not a stack name/],
      });
      const stackName = (name: string, message: RegExp): Row => ({
        title: `pulumi up --stack ${JSON.stringify(name)}`,
        run: () => node(stack, "pulumi.js", ["up", "--yes", "--non-interactive", "--stack", name], ENV),
        expect: [message],
      });
      const key = (k: string) => `deployment-runbook:${k.replace(/\./g, "\\.").replace(/\[(\d+)\]/g, "\\.$1")}`;

      const rows: Row[] = [
        // Stack config: every key with a bad value is in test/unit/stack-config-errors.test.ts, through
        // the functions the program validates with. These three prove the wiring end to end: a --path
        // key the engine hands over as a JSON object, a cross-field rule, and a secret, which only the
        // engine masks (the program reports the value; the engine shows every secret as [secret]).
        config("gates.checks[0]", "smoke", new RegExp(`${key("gates.checks[0]")}: must be among api, database, cache, external, error-rate, latency, queries, infrastructure, monitoring \\(got "smoke"\\)`)),
        config("notifications.webhookUrl", BAD_SECRET, new RegExp(`${key("notifications.webhookUrl")}: must be an http\\(s\\) URL \\(got "\\[secret\\]"\\)`), { secret: true }),
        config("local.basePort", "65400", new RegExp(`${key("local.basePort")}: must leave room for 200 instance ports \\(at most 65335\\)`)),
        // Policy config, through RUNBOOK_POLICY_CONFIG.
        policy('deployment-window timeZone "Mars/Olympus"', { "deployment-window": { now: WEDNESDAY_NOON, timeZone: "Mars/Olympus" } }, /policy config `timeZone` "Mars\/Olympus" is not an IANA time zone; use a name such as "Europe\/Berlin"/),
        policy('deployment-window days ["Funday"]', { "deployment-window": { now: WEDNESDAY_NOON, days: ["Funday"] } }, /deployment-window: days\.0: days\.0 must be one of the following: "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"/),
        policy("deployment-window startHour 25", { "deployment-window": { now: WEDNESDAY_NOON, startHour: 25 } }, /deployment-window: startHour: Must be less than or equal to 23/),
        policy("deployment-window startHour = endHour", { "deployment-window": { now: WEDNESDAY_NOON, startHour: 8, endHour: 8 } }, /policy config `startHour` \(8\) and `endHour` \(8\) must be different whole hours, from 0 to 23 and from 1 to 24/),
        policy('deployment-window now "yesterday"', { "deployment-window": { now: "yesterday" } }, /deployment-window: now: Does not match format 'date-time'/),
        policy('traffic-step maxStepPoints "fifty"', { "deployment-window": { now: WEDNESDAY_NOON }, "traffic-step": { maxStepPoints: "fifty" } }, /traffic-step: maxStepPoints: Invalid type\. Expected: integer, given: string/),
        policy('traffic-step enforcementLevel "sometimes"', { "deployment-window": { now: WEDNESDAY_NOON }, "traffic-step": { enforcementLevel: "sometimes" } }, /enforcement level for "traffic-step": "sometimes" is not a valid enforcement level/),
        {
          title: "policy config RUNBOOK_POLICY_CONFIG naming a missing file",
          run: () => up({ RUNBOOK_POLICY_CONFIG: "/nonexistent/policy-config.json" }),
          expect: [/RUNBOOK_POLICY_CONFIG \/nonexistent\/policy-config\.json: no such file\nNothing was changed\./],
        },
        policy("that is not JSON", '{"deployment-window": {"now": ', /RUNBOOK_POLICY_CONFIG .*bad\.json.*(JSON|Unexpected end)/),
        policy('naming a policy that does not exist ("deployment-windows")', { "deployment-windows": { now: WEDNESDAY_NOON } }, /deployment-windows.*(unknown|no such) policy/),
        // npm script flags.
        script(["health"], /error: --env is required/),
        script(["health", "--env", "<stack>", "--check", "smoke"], /--check "smoke" is not allowed \(allowed values: api, database, cache, external, error-rate, latency, queries, infrastructure, monitoring\)/),
        script(["health", "--env", "<stack>", "--color", "purple"], /--color "purple" is not allowed \(allowed values: blue, green\)/),
        script(["health", "--env", "<stack>", "--bogus"], /Unknown option '--bogus' \(allowed flags: --env, --check, --color, --verbose, --json\)/),
        script(["health", "--env", "<stack>", "extra"], /Unexpected argument 'extra'.*\(allowed flags: --env, --check, --color, --verbose, --json\)/),
        script(["db", "check"], /error: --env is required\nusage: npm run db:check -- --env <stack>/),
        script(["db", "check", "--env"], /Option '--env <value>' argument missing \(allowed flags: --env, --sessions\)/),
        script(["db", "backup", "--env", "<stack>", "--yes"], /Unknown option '--yes' \(allowed flags: --env\)/),
        script(["db", "restore", "--env", "<stack>", "--yes"], /--backup is required \(latest or a backup id\)/),
        script(["db", "restore", "--env", "<stack>", "--backup", "nope", "--yes"], /--backup "nope": no verified backup by that id in .* \(allowed: latest, /),
        script(["db", "vacuum", "--env", "<stack>"], /unknown db command "vacuum" \(allowed: check, backup, restore\)/),
        // Stack names.
        script(["health", "--env", "../etc"], /--env "\.\.\/etc" is not a stack name \(letters, digits, '\.', '_' and '-'\)/),
        script(["health", "--env", "test-fault-nope"], /--env "test-fault-nope": no such stack \(list them with npm run pulumi -- stack ls\)/),
        script(["db", "check", "--env", "test-fault-nope"], /--env "test-fault-nope": no such stack/),
        stackName("Bad_Name!", /a stack name may only contain alphanumeric, hyphens, underscores, or periods: invalid character '!'/),
        stackName("test-fault-nope", /no stack named 'test-fault-nope' found/),
      ];

      before(async () => {
        await settle(50);
      });

      it(`has at least 29 rows (${rows.length})`, () => {
        assert.ok(rows.length >= 29);
      });

      for (const row of rows) {
        it(row.title, async () => {
          const state = stack.stateFile();
          const pids = await pidsOf(services, stack);
          const config = fs.readFileSync(stackFile());
          let r: RunResult;
          try {
            r = await row.run();
          } finally {
            fs.writeFileSync(stackFile(), config);
          }
          const out = `${r.stdout}\n${r.stderr}`;
          assert.notEqual(r.code, 0, `accepted:\n${out}`);
          for (const m of row.expect) assert.match(out, m);
          assert.equal(stack.stateFile(), state, "the state file changed");
          assert.deepEqual(await pidsOf(services, stack), pids, "running processes changed");
        });
      }
    });

    // Runs after the bad-input table (mocha runs a suite's own tests before its nested suites).
    describe("secrets", function () {
      it("after the full run, neither the webhook URL nor the database password appears in plain text anywhere", async () => {
        const records = path.join(services.stateDir, "records");
        const recordLog = filesUnder(records).find((f) => f.endsWith(".log") && f.includes(stack.name));
        assert.ok(recordLog, "no announcement log was written");
        // The secrets were in use: the announcement was posted to the webhook (nothing listens on
        // port 9, so the log notes the failure without the URL) and the instances got the password.
        assert.match(fs.readFileSync(recordLog, "utf8"), /\(webhook notification failed: ECONNREFUSED\)/);
        const programs = filesUnder(path.join(services.stateDir, "supervisor", "conf.d")).filter((f) => path.basename(f).startsWith(serviceKey(stack.name, "app")));
        assert.ok(programs.length > 0);
        for (const f of programs.filter((p) => /-(blue|green)-\d+\.conf$/.test(p))) {
          // By design the instance's program file carries DATABASE_URL for the process: owner-only.
          assert.match(fs.readFileSync(f, "utf8"), new RegExp(`DATABASE_URL="postgres://runbook:${DB_PASSWORD}@`));
          assert.equal(fs.statSync(f).mode & 0o777, 0o600, `${f} is readable by others`);
        }

        const places: Record<string, string[]> = {
          "state backend (state, history, backups)": filesUnder(backendDir(stack)),
          "stack config file": [path.join(ROOT, "stacks", `Pulumi.${stack.name}.yaml`)],
          "PULUMI_HOME": filesUnder(stack.home),
          "records and announcements": filesUnder(records),
          logs: filesUnder(path.join(services.stateDir, "logs")),
          "nginx routers": filesUnder(path.join(services.stateDir, "nginx")),
          "backup metadata": filesUnder(path.join(services.stateDir, "backups")).filter((f) => f.endsWith(".json")),
          "prometheus targets": filesUnder(path.join(services.stateDir, "prometheus", "targets")),
        };
        const leaks: string[] = [];
        for (const [place, files] of Object.entries(places)) {
          for (const f of files) {
            if (fs.statSync(f).size > 20 * 1024 * 1024) continue;
            const text = fs.readFileSync(f, "latin1");
            for (const secret of SECRETS) if (text.includes(secret)) leaks.push(`${secret} in ${place}: ${f}`);
          }
        }
        transcript.push((await stack.must(["stack", "output", "--json"])).stdout);
        transcript.forEach((text, i) => {
          for (const secret of SECRETS) if (text.includes(secret)) leaks.push(`${secret} in engine/script output #${i}: ...${text.slice(Math.max(0, text.indexOf(secret) - 200), text.indexOf(secret) + 100)}...`);
        });
        assert.ok(transcript.length > 20, "too little engine output was collected to judge");
        assert.ok(places["state backend (state, history, backups)"].length > 3);
        assert.deepEqual(leaks, []);
      });
    });
  });

  describe("PostgreSQL stopped before the backup of a promotion", function () {
    const cluster = new PrivateCluster();
    const PG_ENV = { ...ENV, RUNBOOK_PG_PORT: String(PRIVATE_PG_PORT) };
    const PG_URL = `http://127.0.0.1:${PG_ROUTER_PORT}/`;
    let stack: ThrowawayStack;

    before(async () => {
      await cluster.create();
      stack = await ThrowawayStack.create("fault-pg", {
        "blue.version": "v1.0.0",
        "green.version": "v2.0.0",
        "blue.replicas": 1,
        "green.replicas": 1,
        "local.routerPort": PG_ROUTER_PORT,
        "local.basePort": PG_BASE_PORT,
        ...FAST_GATES,
      });
      const r = await stack.up(PG_ENV);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    });

    after(async () => {
      try {
        if (stack) await stack.cleanup();
      } finally {
        await cluster.drop();
      }
    });

    it("the promotion is refused (the backup fails), the gate never runs, traffic and outputs are unchanged", async () => {
      const before = await stack.outputs();
      await stack.setConfig("traffic.green", 10);
      let r: RunResult;
      try {
        await cluster.stop();
        r = await stack.up(PG_ENV);
      } finally {
        await cluster.start();
      }
      transcript.push(r.stdout, r.stderr);
      assert.notEqual(r.code, 0, "the promotion went ahead without a backup");
      assert.match(r.stdout, new RegExp(`\\(app-backup-pgdump\\):\\s+error: backup of PostgreSQL database runbook at 127\\.0\\.0\\.1:${PRIVATE_PG_PORT} failed`));
      assert.doesNotMatch(r.stdout, /app-green-gate-check updating/, "the gate ran although the backup failed");
      assert.doesNotMatch(r.stdout, /app-router-weights updating/, "the weights moved although the backup failed");
      assert.deepEqual(await stack.outputs(), before);
      const split = await measureSplit(PG_URL, 300);
      assert.deepEqual(split, { blue: 300, green: 0, other: 0 });

      // With PostgreSQL back, the same promotion takes its backup and goes ahead.
      const again = await stack.up(PG_ENV);
      transcript.push(again.stdout, again.stderr);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      const after = await stack.outputs();
      assert.deepEqual(after.traffic, { blue: 90, green: 10 });
      assert.notEqual((after.backup as { backupId: string }).backupId, (before.backup as { backupId: string }).backupId);
    });
  });
});
