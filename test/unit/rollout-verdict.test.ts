// The runbook's rollback triggers on one window, at and around each limit, and how windows become
// decisions (hard triggers at once, the soft latency rule after consecutive windows).
import { strict as assert } from "assert";
import { ColorCounts } from "../../components/gates/counts";
import { BreachTracker, InstanceSignals, SinceStep, Thresholds, judgeWindow } from "../../components/rollout/verdict";
import { binomial, mulberry32 } from "./helpers/gate-simulation";

const T: Thresholds = { minRequests: 50, maxErrorRatePercent: 1, maxErrorRateIncreasePp: 1, maxLatencyIncreasePercent: 10, hardLatencyIncreasePercent: 50 };
const OK: InstanceSignals = { failingHealth: [], restarts: 0, notRunning: [] };
const canary = (requests: number, errors: number, p95: number) => ({ color: "green", version: "v2.0.0", sample: { requests, errors, p95LatencyMs: p95 } });
const baseline = (requests: number, errors: number, p95: number) => ({ color: "blue", version: "v1.0.0", sample: { requests, errors, p95LatencyMs: p95 } });

describe("rollout: window verdicts (the runbook's triggers)", () => {
  it("a healthy canary passes, with figures for both colors", () => {
    const v = judgeWindow(canary(1000, 0, 7), baseline(1000, 0, 7), OK, T);
    assert.equal(v.verdict, "pass");
    assert.deepEqual(v.canary, { color: "green", version: "v2.0.0", requests: 1000, errors: 0, errorRatePercent: 0, p95LatencyMs: 7 });
  });
  it("error rate exactly 1% passes; just above 1% is a hard trigger naming value and limit", () => {
    assert.equal(judgeWindow(canary(1000, 10, 7), baseline(1000, 0, 7), OK, T).verdict, "pass");
    const v = judgeWindow(canary(1000, 11, 7), baseline(1000, 0, 7), OK, T);
    assert.equal(v.verdict, "breach");
    assert.deepEqual(v.triggers.map((t) => [t.metric, t.value, t.limit, t.hard]), [["error-rate", 1.1, 1, true]]);
    assert.equal(v.triggers[0].message, "error rate 1.10% > 1.00% limit (green v2.0.0: 11 of 1000 requests)");
  });
  it("canary above baseline + 1 pp: at the limit passes, above is a trigger (even under the absolute limit when it is raised)", () => {
    const t = { ...T, maxErrorRatePercent: 5 };
    assert.equal(judgeWindow(canary(1000, 30, 7), baseline(1000, 20, 7), OK, t).verdict, "pass");
    const v = judgeWindow(canary(1000, 31, 7), baseline(1000, 20, 7), OK, t);
    assert.deepEqual(v.triggers.map((x) => [x.metric, x.value, x.limit]), [["error-rate-increase", 3.1, 3]]);
    assert.match(v.triggers[0].message, /error rate 3\.10% > 3\.00% limit \(baseline blue 2\.00% \+ 1 pp\)/);
  });
  it("p95 10% above the baseline passes; above it is a soft trigger; above 50% a hard one", () => {
    assert.equal(judgeWindow(canary(1000, 0, 11), baseline(1000, 0, 10), OK, T).verdict, "pass");
    const soft = judgeWindow(canary(1000, 0, 11.5), baseline(1000, 0, 10), OK, T);
    assert.deepEqual(soft.triggers.map((x) => [x.metric, x.value, x.limit, x.hard]), [["p95-latency", 11.5, 11, false]]);
    assert.equal(judgeWindow(canary(1000, 0, 15), baseline(1000, 0, 10), OK, T).triggers[0].hard, false);
    const hard = judgeWindow(canary(1000, 0, 15.1), baseline(1000, 0, 10), OK, T);
    assert.deepEqual(hard.triggers.map((x) => [x.metric, x.value, x.limit, x.hard]), [["p95-latency", 15.1, 15, true]]);
    assert.match(hard.triggers[0].message, /p95 latency 15\.1 ms > 15\.0 ms limit \(baseline blue 10\.0 ms \+ 50%, at least \+ 0 ms: degradation\)/);
  });
  it("below baseline + latencyToleranceMs neither latency rule fires, however large the percent; above it they do", () => {
    const t = { ...T, latencyToleranceMs: 5 };
    // 7.5 -> 11.5 ms is +53% but only +4 ms: within one histogram bucket.
    assert.equal(judgeWindow(canary(1000, 0, 11.5), baseline(1000, 0, 7.5), OK, t).verdict, "pass");
    assert.equal(judgeWindow(canary(1000, 0, 12.5), baseline(1000, 0, 7.5), OK, t).verdict, "pass");
    const v = judgeWindow(canary(1000, 0, 12.6), baseline(1000, 0, 7.5), OK, t);
    // At 7.5 ms both limits are baseline + 5 ms (the percents are lower), so the first breach is hard.
    assert.deepEqual(v.triggers.map((x) => [x.metric, x.value, x.limit, x.hard]), [["p95-latency", 12.6, 12.5, true]]);
    // At 60 ms the percents are above the tolerance again: soft at 66, hard at 90.
    assert.deepEqual(judgeWindow(canary(1000, 0, 67), baseline(1000, 0, 60), OK, t).triggers.map((x) => [x.limit, x.hard]), [[66, false]]);
    assert.deepEqual(judgeWindow(canary(1000, 0, 91), baseline(1000, 0, 60), OK, t).triggers.map((x) => [x.limit, x.hard]), [[90, true]]);
  });
  it("too few canary requests is inconclusive, never a pass", () => {
    const v = judgeWindow(canary(49, 0, 7), baseline(1000, 0, 7), OK, T);
    assert.equal(v.verdict, "inconclusive");
    assert.match(v.verdict === "inconclusive" ? v.reason : "", /only 49 requests to green v2\.0\.0 in the window, at least 50 needed/);
    assert.equal(judgeWindow(canary(50, 0, 7), baseline(1000, 0, 7), OK, T).verdict, "pass");
  });
  it("an unreadable metrics source is inconclusive", () => {
    const v = judgeWindow({ color: "green", version: "v2.0.0", unreadable: "Prometheus at http://127.0.0.1:1: connect ECONNREFUSED" }, undefined, OK, T);
    assert.equal(v.verdict, "inconclusive");
    assert.match(v.verdict === "inconclusive" ? v.reason : "", /metrics unavailable: Prometheus/);
  });
  it("a thin baseline: absolute rules only, with a note", () => {
    const v = judgeWindow(canary(1000, 0, 30), baseline(10, 0, 7), OK, T);
    assert.equal(v.verdict, "pass");
    assert.match(v.notes.join(), /baseline blue v1\.0\.0 served 10 requests \(at least 50 needed\): canary-vs-baseline rules not applied/);
  });
  it("a failing health check and a crash loop are hard triggers, even when the metrics are quiet", () => {
    const health = judgeWindow({ color: "green", version: "v2.0.0", unreadable: "down" }, undefined, { ...OK, failingHealth: ["/healthz answered 503"] }, T);
    assert.deepEqual(health.triggers.map((x) => [x.metric, x.hard]), [["health", true]]);
    assert.equal(judgeWindow(canary(1000, 0, 7), baseline(1000, 0, 7), { ...OK, restarts: 1 }, T).verdict, "pass");
    const loop = judgeWindow(canary(1000, 0, 7), baseline(1000, 0, 7), { ...OK, restarts: 2 }, T);
    assert.deepEqual(loop.triggers.map((x) => [x.metric, x.value, x.limit]), [["crash-loop", 2, 1]]);
    const fatal = judgeWindow(canary(1000, 0, 7), baseline(1000, 0, 7), { ...OK, notRunning: ["rb-x-app-green-0 FATAL"] }, T);
    assert.match(fatal.triggers[0].message, /crash-looping instance: rb-x-app-green-0 FATAL not running/);
  });
});

describe("rollout: decisions over windows", () => {
  const pass = judgeWindow(canary(1000, 0, 10), baseline(1000, 0, 10), OK, T);
  const soft = judgeWindow(canary(1000, 0, 12), baseline(1000, 0, 10), OK, T);
  const hard = judgeWindow(canary(1000, 100, 10), baseline(1000, 0, 10), OK, T);
  const quiet = judgeWindow(canary(0, 0, NaN), baseline(0, 0, NaN), OK, T);
  it("a hard trigger rolls back at the first window", () => {
    assert.equal(new BreachTracker(2).decide(hard).action, "rollback");
  });
  it("the soft latency rule rolls back only after consecutiveBreaches windows in a row; a pass resets it", () => {
    const t = new BreachTracker(2);
    assert.equal(t.decide(soft).action, "continue");
    assert.equal(t.decide(pass).action, "continue");
    assert.equal(t.decide(soft).action, "continue");
    const d = t.decide(soft);
    assert.equal(d.action, "rollback");
    assert.equal(d.action === "rollback" && d.trigger.metric, "p95-latency");
  });
  it("while the first window fills, a hard latency trigger counts as soft; an error trigger stays hard", () => {
    const slow = judgeWindow(canary(1000, 0, 32), baseline(1000, 0, 9.8), OK, T);
    const t = new BreachTracker(2);
    assert.equal(t.decide(slow, { warming: true }).action, "continue");
    assert.equal(t.decide(slow, { warming: true }).action, "rollback", "two slow windows in a row still roll back");
    assert.equal(new BreachTracker(2).decide(slow).action, "rollback");
    assert.equal(new BreachTracker(2).decide(hard, { warming: true }).action, "rollback");
  });
  it("inconclusive never continues toward promotion", () => {
    assert.equal(new BreachTracker(2).decide(quiet).action, "inconclusive");
  });
});

describe("rollout: sequential error-rate triggers on everything since the step", () => {
  const counts = (requests: number, errors: number): ColorCounts => ({ requests, errors, buckets: [{ le: Infinity, count: requests }] });
  const since = (c: ColorCounts, b?: ColorCounts): SinceStep => ({ canary: c, baseline: b });

  it("rolls back a clearly bad canary while its window is still too thin to judge", () => {
    // 5 errors in 104: 5 ln(3/1) + 99 ln(0.97/0.99) = 3.47 >= ln 20.
    const v = judgeWindow(canary(20, 1, 7), baseline(20, 0, 7), OK, T, since(counts(104, 5), counts(104, 0)));
    assert.equal(v.verdict, "breach");
    assert.deepEqual(v.triggers.map((t) => [t.metric, t.value, t.limit, t.hard]), [["error-rate", 4.808, 1, true]]);
    assert.equal(v.triggers[0].message, "error rate 4.81% > 1.00% limit over the 104 requests since the step (green v2.0.0: 5 errors; sequential test, 95% confidence)");
    assert.equal(judgeWindow(canary(20, 1, 7), baseline(20, 0, 7), OK, T).verdict, "inconclusive", "without the counts the thin window is inconclusive");
  });

  it("leaves a canary at the limit to the window rules, and adds nothing to a window rule that fired", () => {
    assert.equal(judgeWindow(canary(1000, 10, 7), baseline(1000, 0, 7), OK, T, since(counts(1000, 10), counts(1000, 0))).verdict, "pass");
    // 2% over 1000: over the window's limit, not yet confidently over it since the step.
    const v = judgeWindow(canary(1000, 20, 7), baseline(1000, 0, 7), OK, T, since(counts(1000, 20), counts(1000, 0)));
    assert.deepEqual(v.triggers.map((t) => t.message), ["error rate 2.00% > 1.00% limit (green v2.0.0: 20 of 1000 requests)"]);
  });

  it("applies the canary-vs-baseline rule once the baseline served minRequests since the step", () => {
    const t = { ...T, maxErrorRatePercent: 5, clearlyBadErrorRatePercent: 7 };
    const v = judgeWindow(canary(20, 2, 7), baseline(20, 0, 7), OK, t, since(counts(200, 20), counts(1000, 20)));
    assert.deepEqual(v.triggers.map((x) => [x.metric, x.limit]), [["error-rate-increase", 3]]);
    assert.equal(v.triggers[0].message, "error rate 10.00% > 3.00% limit (baseline blue 2.00% + 1 pp) over the 200 requests since the step (green v2.0.0: 20 errors; sequential test, 95% confidence)");
    assert.equal(judgeWindow(canary(20, 2, 7), baseline(20, 0, 7), OK, t, since(counts(200, 20), counts(40, 1))).verdict, "inconclusive");
  });

  it("simulated over a 5 min pause judged every 10 s at 20 req/s: a release at the 1% limit is rolled back by them under 5% of the time, a 5% one within two windows", () => {
    const random = mulberry32(31);
    const runs = 5000;
    const step = (p: number) => {
      const c = { requests: 0, errors: 0 };
      for (let window = 1; window <= 30; window++) {
        c.requests += 200;
        c.errors += binomial(random, 200, p);
        const v = judgeWindow(canary(0, 0, NaN), undefined, OK, T, since(counts(c.requests, c.errors)));
        if (v.verdict === "breach") return window;
      }
      return 0;
    };
    const atLimit = Array.from({ length: runs }, () => step(0.01)).filter((w) => w > 0).length / runs;
    assert.ok(atLimit > 0 && atLimit <= 0.05, `rolled back ${atLimit}`);
    const bad = Array.from({ length: runs }, () => step(0.05));
    // At the first window (200 requests) it takes 7 errors, 13% of them have fewer; at 400, 10.
    assert.ok(bad.filter((w) => w <= 2).length / runs >= 0.95, "a 5% release within two windows");
    assert.equal(bad.filter((w) => w === 0).length, 0);
  });
});
