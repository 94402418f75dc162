// Pure parsing of the rollout's inputs: durations, pauses, steps, and the `rollout.*` config keys.
import { strict as assert } from "assert";
import { formatDuration, parseDuration, parsePause } from "../../components/rollout/duration";
import { parseSteps, stepsProblem } from "../../components/rollout/steps";
import { StackConfigError, parseStackConfig } from "../../components/config/stack-config";

describe("rollout: durations", () => {
  const good: [string, number][] = [["30s", 30_000], ["5m", 300_000], ["1h30m", 5_400_000], ["500ms", 500], ["1.5s", 1500], ["0s", 0], ["24h", 86_400_000]];
  for (const [text, ms] of good) it(`${text} is ${ms} ms`, () => assert.equal(parseDuration(text), ms));
  for (const bad of ["", "5", "5 minutes", "-1s", "1d", "s", "24h1s", "1m 30s", "1.s"]) {
    it(`${JSON.stringify(bad)} is not a duration`, () => assert.equal(parseDuration(bad), undefined));
  }
  it("formats the shortest way", () => {
    assert.deepEqual([0, 250, 4000, 90_000, 3_600_000, 3_661_000].map(formatDuration), ["0s", "250ms", "4s", "1m30s", "1h", "1h1m1s"]);
  });
  it("a pause is a duration or manual", () => {
    assert.deepEqual(parsePause("manual"), { kind: "manual" });
    assert.deepEqual(parsePause("3s"), { kind: "timed", ms: 3000 });
    assert.equal(parsePause("Manual"), undefined);
  });
});

describe("rollout: steps", () => {
  it("parses 10,50,100 and 100 alone", () => {
    assert.deepEqual(parseSteps("10,50,100"), [10, 50, 100]);
    assert.deepEqual(parseSteps(" 5, 25 ,100"), [5, 25, 100]);
    assert.deepEqual(parseSteps("100"), [100]);
  });
  const bad: [string, RegExp][] = [
    ["10,50", /the last step is 50: it must be 100/],
    ["50,10,100", /10 after 50: steps must increase/],
    ["10,10,100", /10 after 10: steps must increase/],
    ["0,100", /0 is not an integer percent from 1 to 100/],
    ["10,150", /150 is not an integer percent from 1 to 100/],
    ["10%,100", /"10%" is not an integer/],
    ["", /"" is not an integer/],
    ["10,,100", /"" is not an integer/],
  ];
  for (const [text, message] of bad) {
    it(`${JSON.stringify(text)} is refused with the allowed format`, () => {
      assert.throws(() => parseSteps(text), (e: Error) => message.test(e.message) && /allowed: comma-separated integer percents/.test(e.message));
    });
  }
  it("an empty list has no steps", () => assert.equal(stepsProblem([]), "no steps"));
});

describe("rollout: the rollout.* stack config", () => {
  const base = { "blue": { version: "v1.0.0" } };
  it("defaults: steps 10,50,100, pause 5m, bake 30m, the runbook's triggers", () => {
    const c = parseStackConfig(base);
    assert.deepEqual(c.rollout.steps, [10, 50, 100]);
    assert.equal(c.rollout.pause, "5m");
    assert.equal(c.rollout.bake, "30m");
    assert.equal(c.rollout.analysis.maxErrorRatePercent, 1);
    assert.equal(c.rollout.analysis.maxErrorRateIncreasePp, 1);
    assert.equal(c.rollout.analysis.maxLatencyIncreasePercent, 10);
    assert.equal(c.rollout.analysis.hardLatencyIncreasePercent, 50);
    assert.equal(c.rollout.analysis.latencyToleranceMs, 5);
    assert.equal(c.rollout.analysis.confidence, 0.95);
    assert.equal(c.rollout.analysis.clearlyBadErrorRatePercent, 3);
  });
  it("accepts values as `pulumi config set --path` stores them (strings)", () => {
    const c = parseStackConfig({ ...base, rollout: { steps: ["5", "100"], pause: "manual", bake: "4s", analysis: { intervalSeconds: "1" } } });
    assert.deepEqual(c.rollout.steps, [5, 100]);
    assert.equal(c.rollout.analysis.intervalSeconds, 1);
  });
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ pause: "5 minutes" }, /deployment-runbook:rollout\.pause: must be a duration such as 30s, 5m, 1h30m or 500ms \(at most 24h\), or manual \(got "5 minutes"\)/],
    [{ bake: "manual" }, /deployment-runbook:rollout\.bake: must be a duration/],
    [{ steps: [10, 50] }, /deployment-runbook:rollout\.steps: the last step is 50: it must be 100/],
    [{ analysis: { windowSeconds: 1 } }, /deployment-runbook:rollout\.analysis\.windowSeconds: must be a number from 2 to 3600 seconds/],
    [{ analysis: { maxErrorRate: 1 } }, /deployment-runbook:rollout\.analysis\.maxErrorRate: unknown key \(allowed: intervalSeconds, windowSeconds/],
    [{ pauze: "3s" }, /deployment-runbook:rollout\.pauze: unknown key \(allowed: steps, pause, bake, analysis\)/],
    [{ analysis: { confidence: 1 } }, /deployment-runbook:rollout\.analysis\.confidence: must be a number from 0\.8 to 0\.999 \(got 1\)/],
    [{ analysis: { clearlyBadErrorRatePercent: 0.5 } }, /deployment-runbook:rollout\.analysis\.clearlyBadErrorRatePercent: must be above rollout\.analysis\.maxErrorRatePercent \(1%\) \(got 0\.5\)/],
    [{ analysis: { maxErrorRatePercent: 5 } }, /deployment-runbook:rollout\.analysis\.maxErrorRatePercent: must be below rollout\.analysis\.clearlyBadErrorRatePercent \(3%, the error rate the sequential trigger weighs the limit against\): raise that too \(got 5\)/],
  ];
  for (const [rollout, message] of bad) {
    it(`refuses ${JSON.stringify(rollout)} naming the key`, () => {
      assert.throws(() => parseStackConfig({ ...base, rollout }), (e: Error) => e instanceof StackConfigError && message.test(e.message));
    });
  }
});
