// Unit tests of the error-rate and latency checks (components/gates/checks/analysis-check.ts) and
// of their retries in run-checks.ts, in process: the synthetic traffic goes to a local HTTP server
// standing in for the router and both colors, and the metrics source reads what that server
// recorded (test/unit/helpers/fake-service.ts). Looks are made 100 ms apart instead of 1 s and the
// rate is raised, so each decision takes a fraction of a second.
import * as assert from "node:assert/strict";
import { CHECK_NAMES, GateConfig, gateConfigSchema } from "../../components/gates/gate-config";
import { analysisChecks } from "../../components/gates/checks/analysis-check";
import { CheckResult, GateSubject } from "../../components/gates/checks/types";
import { runChecks } from "../../components/gates/run-checks";
import { ColorBehaviour, FakeService, fakeSource } from "./helpers/fake-service";

const FAST = { lookIntervalMs: 100, settleMs: 100 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Every 20th request fails: 5%. */
const fivePercent: ColorBehaviour = { fails: (n) => n % 20 === 0 };

function config(analysis: Partial<GateConfig["analysis"]> = {}, rest: Partial<GateConfig> = {}): GateConfig {
  const c = gateConfigSchema.parse({ analysis: { syntheticRps: 300 } });
  return { ...c, checks: [...CHECK_NAMES], ...rest, analysis: { ...c.analysis, ...analysis } };
}

let seq = 0;
async function setUp(behaviour: Record<string, ColorBehaviour>, control: Parameters<typeof fakeSource>[2] = {}) {
  const service = new FakeService(behaviour);
  const url = await service.start();
  const { spec, control: c } = fakeSource(`analysis-${++seq}`, service, control);
  const subject = (cfg: GateConfig, baseline = true): GateSubject => ({
    stack: "dev",
    service: "app",
    routerUrl: url,
    color: "green",
    version: "v2.0.0",
    ...(baseline ? { baseline: { color: "blue" as const, version: "v1.0.0" } } : {}),
    metrics: spec,
    config: cfg,
  });
  return { service, control: c, subject };
}

const byCheck = (rs: CheckResult[]) => Object.fromEntries(rs.map((r) => [r.check, r]));

/**
 * Requests after the check returned: the ones already sent or queued on the agent may still land
 * (how many depends on how busy the machine is), then none. Counted, not timed: the count must
 * come to rest, and stay at rest.
 */
async function assertTrafficStopped(service: FakeService): Promise<void> {
  const total = () => service.count("green") + service.count("blue");
  let settled = total();
  for (let i = 0; i < 50; i++) {
    await sleep(200);
    const now = total();
    if (now === settled) break;
    settled = now;
  }
  await sleep(600);
  assert.equal(total(), settled, "traffic still flowing after the decision");
}

/** Requests the summary says were judged: a decision before the cap judged fewer than the cap's worth. */
const judged = (summary: string): number => Number(/over (\d+) requests/.exec(summary)?.[1] ?? NaN);
const CAP_REQUESTS = 15 * 30;

describe("gate analysis check: sequential looks over a live window", function () {
  this.timeout(20000);
  const cleanUp: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanUp.length) await cleanUp.pop()!();
  });

  it("fails a 5%-error canary within the first looks, as a final failure, and stops the traffic", async () => {
    const { service, subject } = await setUp({ green: fivePercent, blue: {} });
    cleanUp.push(() => service.stop());
    const results = byCheck(await analysisChecks(subject(config()), ["error-rate", "latency"], FAST));
    assert.equal(results["error-rate"].status, "fail");
    assert.ok(judged(results["error-rate"].summary) < CAP_REQUESTS / 3, `decided on ${results["error-rate"].summary}`);
    assert.equal(results["error-rate"].final, true);
    assert.match(results["error-rate"].summary, /^error rate \d+\.\d\d% over \d+ requests > 0\.10% SLO \(sequential test, 95% confidence\)$/);
    assert.ok(results["error-rate"].details.some((d) => /^decided at look \d+, [\d.]+ s after the traffic started/.test(d)), results["error-rate"].details.join("\n"));
    // Latency is fine and was decided on the way; it is not final.
    assert.equal(results.latency.status, "pass");
    assert.equal(results.latency.final, undefined);
    await assertTrafficStopped(service);
  });

  it("passes a good canary as soon as every test accepts, well before the cap, and stops the traffic", async () => {
    const { service, subject } = await setUp({ green: {}, blue: {} });
    cleanUp.push(() => service.stop());
    const results = byCheck(await analysisChecks(subject(config()), ["error-rate", "latency"], FAST));
    assert.deepEqual([results["error-rate"].status, results.latency.status], ["pass", "pass"], JSON.stringify(results));
    assert.ok(judged(results["error-rate"].summary) < CAP_REQUESTS, `passed on ${results["error-rate"].summary}, not before the cap`);
    assert.match(results["error-rate"].summary, /^error rate 0\.00% over \d+ requests within limits \(sequential test, 95% confidence\)$/);
    // 157 clean requests are needed, and the baseline's 50.
    const requests = Number(/over (\d+) requests/.exec(results["error-rate"].summary)![1]);
    assert.ok(requests >= 157, `passed on ${requests} requests`);
    await assertTrafficStopped(service);
  });

  it("fails a slow canary on the latency SLO", async () => {
    const { service, subject } = await setUp({ green: { latencySeconds: 0.3 } });
    cleanUp.push(() => service.stop());
    const results = byCheck(await analysisChecks(subject(config(), false), ["latency"], FAST));
    assert.equal(results.latency.status, "fail");
    assert.equal(results.latency.final, true);
    assert.match(results.latency.summary, /^p95 latency \d+(\.\d)? ms > 200 ms SLO: 100% of \d+ requests slower than 200 ms, at most 5% allowed \(sequential test, 95% confidence\)$/);
    assert.equal(results["error-rate"], undefined, "only the selected check is reported");
  });

  it("skips a look it cannot read, and decides on the next", async () => {
    const { service, subject, control } = await setUp({ green: fivePercent }, { failReads: 2 });
    cleanUp.push(() => service.stop());
    const results = byCheck(await analysisChecks(subject(config(), false), ["error-rate"], FAST));
    assert.equal(results["error-rate"].status, "fail");
    assert.ok(control.starts.length >= 3);
  });

  it("judges an undecided window whole at the cap, as a failure that is not final", async () => {
    // One error in about 150 requests: too little evidence either way for the sequential test,
    // but over the 0.1% SLO for the whole window.
    const { service, subject } = await setUp({ green: { fails: (n) => n === 20 } });
    cleanUp.push(() => service.stop());
    const results = byCheck(await analysisChecks(subject(config({ windowSeconds: 0.5 }), false), ["error-rate"], FAST));
    assert.equal(results["error-rate"].status, "fail");
    assert.equal(results["error-rate"].final, undefined);
    assert.match(results["error-rate"].summary, /^error rate 0\.\d\d% > 0\.10% SLO; success rate 99\.\d\d% < 99\.90% SLO \(whole window, no sequential decision\)$/);
  });

  it("is inconclusive, never a pass, with too little data or unreadable counts", async () => {
    const quiet = await setUp({ green: {} });
    cleanUp.push(() => quiet.service.stop());
    const idle = await analysisChecks(quiet.subject(config({ syntheticRps: 0, windowSeconds: 0.3 }), false), ["error-rate", "latency"], FAST);
    assert.deepEqual(idle.map((r) => [r.check, r.status, r.summary]), [
      ["error-rate", "inconclusive", "only 0 requests in the analysis window, at least 50 needed: inconclusive"],
      ["latency", "inconclusive", "only 0 requests in the analysis window, at least 50 needed: inconclusive"],
    ]);

    const broken = await setUp({ green: {} }, { failReads: 1e9 });
    cleanUp.push(() => broken.service.stop());
    const unread = await analysisChecks(broken.subject(config({ windowSeconds: 0.3 }), false), ["error-rate"], FAST);
    assert.deepEqual(unread.map((r) => [r.status, r.summary]), [["inconclusive", `metrics unavailable (fake source analysis-${seq}: connection refused): inconclusive`]]);
  });
});

describe("gate retries: a confident failure is final", function () {
  this.timeout(20000);

  it("runs a sequential failure once, with retries configured", async () => {
    const { service, subject, control } = await setUp({ green: fivePercent });
    try {
      const results = await runChecks(subject(config({}, { retries: 2, intervalSeconds: 0.1 }), false), ["error-rate"]);
      assert.deepEqual(results.map((r) => [r.check, r.status, r.final]), [["error-rate", "fail", true]]);
      assert.equal(new Set(control.starts.map((d) => d.getTime())).size, 1, "one analysis attempt");
      assert.equal(control.reachableCalls, 1);
    } finally {
      await service.stop();
    }
  });

  it("keeps the retries of an inconclusive analysis", async () => {
    const { service, subject, control } = await setUp({ green: {} }, { unreachable: "connect ECONNREFUSED 127.0.0.1:9090" });
    try {
      const results = await runChecks(subject(config({}, { retries: 2, intervalSeconds: 0.1 }), false), ["error-rate", "latency"]);
      assert.deepEqual(results.map((r) => r.status), ["inconclusive", "inconclusive"]);
      assert.equal(control.reachableCalls, 3, "the first attempt and two retries");
    } finally {
      await service.stop();
    }
  });
});
