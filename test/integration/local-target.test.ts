// The runbook's blue/green flow on the local target, with the real engine, supervisord, nginx,
// PostgreSQL and Redis: staged shifts by config edits under continuous load, rollback, roles swap,
// instance crashes, bad config, and destroy.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as net from "net";
import { Supervisor } from "../../components/targets/local/supervisor";
import { serviceKey } from "../../components/targets/local/names";
import { SHORT_ANALYSIS, ThrowawayStack } from "./harness";
import { measureSplit, splitTolerancePoints, startLoad, LoadReport } from "../../scripts/load";
import { POLICY_ENV } from "./policy-clock";

const ROUTER_PORT = 18680;
const BASE_PORT = 20000;
const URL = `http://127.0.0.1:${ROUTER_PORT}/`;

export const timings: Record<string, number> = {};

async function pidsOf(stack: string): Promise<Record<string, number | undefined>> {
  const all = await new Supervisor().statusAll(serviceKey(stack, "app"));
  return Object.fromEntries(all.map((s) => [s.name, s.pid]));
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", () => resolve(true));
  });
}

describe("local target: blue/green by stack config edits (real engine)", function () {
  this.timeout(300_000);
  let stack: ThrowawayStack;
  const loads: LoadReport[] = [];

  before(async () => {
    stack = await ThrowawayStack.create("local", {
      "blue.version": "v1.0.0",
      "blue.replicas": 2,
      "green.replicas": 2,
      "local.routerPort": ROUTER_PORT,
      "local.basePort": BASE_PORT,
      ...SHORT_ANALYSIS,
      // The gates' latency rule is not under test here (health-gates.test.ts tests it): under this
      // file's load (hey saturating both cores) a good release once read p95 13.5 ms against 10.7
      // allowed (9.7 + 10%) while another test lane ran beside it.
      "gates.analysis.maxLatencyIncreasePercent": 100,
    });
  });

  after(async () => {
    if (stack) await stack.cleanup();
  });

  /** Edits config, runs `up` under load, and returns the up's result and the load report. */
  async function shift(key: string, value: string | number, label: string) {
    await stack.setConfig(key, value);
    const load = startLoad(URL, { concurrency: 40, perWorkerRps: 80 });
    await new Promise((r) => setTimeout(r, 1000));
    const up = await stack.apply(POLICY_ENV);
    await new Promise((r) => setTimeout(r, 500));
    const report = await load.stop();
    loads.push(report);
    timings[label] = up.ms;
    assert.equal(up.code, 0, `${label} failed:\n${up.stdout}\n${up.stderr}`);
    return { up, report };
  }

  it("first up: blue v1.0.0 serves 100% through nginx", async () => {
    const up = await stack.apply(POLICY_ENV);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const out = await stack.outputs();
    assert.equal(out.url, `http://127.0.0.1:${ROUTER_PORT}`);
    assert.deepEqual(out.traffic, { blue: 100, green: 0 });
    assert.deepEqual(out.versions, { blue: "v1.0.0" });
    const split = await measureSplit(URL, 500);
    assert.deepEqual(split, { blue: 500, green: 0, other: 0 });
  });

  it("green v2.0.0 starts and takes no traffic; the color header reaches it", async () => {
    const { report } = await shift("green.version", "v2.0.0", "deploy green (0%)");
    assert.equal(report.failed, 0, report.raw);
    assert.deepEqual(await measureSplit(URL, 2000), { blue: 2000, green: 0, other: 0 });
    const res = execFileSync("curl", ["-s", "-D", "-", "-o", "/dev/null", "-H", "X-Runbook-Color: green", URL], { encoding: "utf8" });
    assert.match(res, /X-Runbook-Version: v2\.0\.0/i);
    assert.match(res, /X-Runbook-Color: green/i);
  });

  for (const pct of [10, 50]) {
    it(`traffic.green ${pct}: split within chance (5 standard deviations) over 2000 requests, zero failed requests under load`, async () => {
      const { report } = await shift("traffic.green", pct, `shift to ${pct}%`);
      assert.equal(report.failed, 0, `failed requests during the shift:\n${report.raw}`);
      // Enough load that zero failures means something. How fast the router is belongs to the
      // bench (3,200 req/s offered here; 1,848 sustained once with the kubernetes lane beside it).
      assert.ok(report.requestsPerSecond >= 1000, `load sustained only ${report.requestsPerSecond} req/s`);
      const split = await measureSplit(URL, 2000);
      assert.equal(split.other, 0);
      const greenPct = (split.green / 2000) * 100;
      const tolerance = splitTolerancePoints(pct, 2000);
      assert.ok(Math.abs(greenPct - pct) <= tolerance, `green got ${greenPct.toFixed(1)}%, configured ${pct}% ± ${tolerance.toFixed(1)}`);
      assert.deepEqual((await stack.outputs()).traffic, { blue: 100 - pct, green: pct });
    });
  }

  it("rollback to 0: exact, zero failed requests, and recorded as a rollback", async () => {
    const { report } = await shift("traffic.green", 0, "rollback to 0%");
    assert.equal(report.failed, 0, report.raw);
    assert.deepEqual(await measureSplit(URL, 2000), { blue: 2000, green: 0, other: 0 });
    assert.equal(((await stack.outputs()).change as { kind: string }).kind, "rollback");
  });

  it("promotes 10 -> 50 -> 100 (exact at 100), blue keeps running as the rollback target", async () => {
    for (const pct of [10, 50, 100]) {
      const { report } = await shift("traffic.green", pct, `promote to ${pct}%`);
      assert.equal(report.failed, 0, report.raw);
    }
    assert.deepEqual(await measureSplit(URL, 2000), { blue: 0, green: 2000, other: 0 });
    const pids = await pidsOf(stack.name);
    assert.ok(pids[`${serviceKey(stack.name, "app")}-blue-0`], "blue must keep running after green reached 100%");
    assert.deepEqual((await stack.outputs()).stable, { color: "blue", version: "v1.0.0", since: ((await stack.outputs()).stableReleases as Record<string, { since: string }>).blue.since });
  });

  it("the next release goes to the idle color (roles swap) with no failed requests", async () => {
    const { report } = await shift("blue.version", "v3.0.0", "deploy v3.0.0 to idle blue");
    assert.equal(report.failed, 0, report.raw);
    for (const pct of [90, 50, 0]) {
      const r = await shift("traffic.green", pct, `swap: green to ${pct}%`);
      assert.equal(r.report.failed, 0, r.report.raw);
    }
    const split = await measureSplit(URL, 1000);
    assert.deepEqual(split, { blue: 1000, green: 0, other: 0 });
    const res = execFileSync("curl", ["-s", "-D", "-", "-o", "/dev/null", URL], { encoding: "utf8" });
    assert.match(res, /X-Runbook-Version: v3\.0\.0/i);
  });

  it("killing an instance of the active color: supervisord restarts it, requests keep succeeding", async () => {
    const name = `${serviceKey(stack.name, "app")}-blue-0`;
    const before = (await pidsOf(stack.name))[name]!;
    const load = startLoad(URL, { concurrency: 20, perWorkerRps: 50 });
    await new Promise((r) => setTimeout(r, 1000));
    process.kill(before, "SIGKILL");
    let after: number | undefined;
    for (let i = 0; i < 50 && (!after || after === before); i++) {
      await new Promise((r) => setTimeout(r, 200));
      after = (await pidsOf(stack.name))[name];
    }
    await new Promise((r) => setTimeout(r, 1000));
    const report = await load.stop();
    assert.ok(after && after !== before, "supervisord did not restart the killed instance");
    // Only the killed instance's in-flight requests may fail (at most one per load worker).
    assert.ok(report.failed <= 20, `${report.failed} failed requests:\n${report.raw}`);
  });

  // One row proves the wiring through preview and up; every key's bad values are unit rows
  // (test/unit/stack-config-errors.test.ts).
  const badValues: [string, string, RegExp][] = [
    ["traffic.green", "50%", /deployment-runbook:traffic\.green: must be an integer percent from 0 to 100 \(no % sign\) \(got "50%"\)/],
  ];
  for (const [key, value, message] of badValues) {
    it(`bad config ${key}=${value} stops preview and up, and changes nothing`, async () => {
      const state = stack.stateFile();
      const pids = await pidsOf(stack.name);
      const original = (await stack.run(["config", "get", "--path", key])).stdout.trim();
      await stack.setConfig(key, value);
      try {
        const preview = await stack.preview(POLICY_ENV);
        assert.notEqual(preview.code, 0);
        assert.match(preview.stdout + preview.stderr, message);
        const up = await stack.up(POLICY_ENV);
        assert.notEqual(up.code, 0);
        assert.match(up.stdout + up.stderr, message);
        assert.match(up.stdout + up.stderr, /Nothing was changed/);
        assert.equal(stack.stateFile(), state, "the state file changed");
        assert.deepEqual(await pidsOf(stack.name), pids, "running processes changed");
      } finally {
        if (original) await stack.setConfig(key, original);
        else await stack.run(["config", "rm", "--path", key]);
      }
    });
  }

  it("a missing version for a color that gets traffic is refused, naming the key", async () => {
    const state = stack.stateFile();
    await stack.run(["config", "rm", "--path", "blue.version"]);
    try {
      const up = await stack.up(POLICY_ENV);
      assert.notEqual(up.code, 0);
      assert.match(up.stdout + up.stderr, /deployment-runbook:blue\.version: is required when traffic\.green is \d+ \(blue serves the rest\)/);
      assert.equal(stack.stateFile(), state);
    } finally {
      await stack.setConfig("blue.version", "v3.0.0");
    }
  });

  it("destroy stops every process and frees every port", async () => {
    const r = await stack.must(["destroy", "--yes", "--skip-preview", "--non-interactive"]);
    assert.equal(r.code, 0);
    assert.deepEqual(await pidsOf(stack.name), {});
    for (const port of [ROUTER_PORT, BASE_PORT, BASE_PORT + 1, BASE_PORT + 100, BASE_PORT + 101]) {
      assert.ok(await portFree(port), `port ${port} is still in use`);
    }
    const rps = loads.map((l) => l.requestsPerSecond);
    console.log(`      timings (ms): ${JSON.stringify(timings)}; load req/s min ${Math.min(...rps)}, max ${Math.max(...rps)}`);
  });
});
