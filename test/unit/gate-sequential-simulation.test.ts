// Simulated gate windows (test/unit/helpers/gate-simulation.ts): tens of thousands of windows at
// 30 synthetic req/s, looks once a second reading counts a second behind, the 15 s cap, judged by
// the gate's own decision code. They measure the false-failure rate of releases at or below the SLO
// limit, the missed-failure rate of clearly bad ones, and how long decisions take, and check that
// README.md ("How the gate decides") states what they measure.
//
// The rates are asserted against alpha and beta (0.05) with no allowance for simulation noise: at
// 20,000 windows a rate's standard error is at most 0.16 pp, and the measured rates sit far enough
// below the bounds that noise cannot cross them, while a broken bound (a wrong sign, Wald's
// looser thresholds with a coarser look, a wrong histogram reading) would.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { gateConfigSchema } from "../../components/gates/gate-config";
import { DEFAULT_SEQUENTIAL, requestsToAccept } from "../../components/gates/sequential";
import { ColorModel, normalLatency, Rates, simulateRates } from "./helpers/gate-simulation";

const ALPHA = 1 - DEFAULT_SEQUENTIAL.confidence;
const BETA = ALPHA;
const WINDOWS = 20_000;
/** Latency windows draw every request's latency: fewer of them, still a standard error under 0.35 pp. */
const LATENCY_WINDOWS = 4_000;

const README = fs.readFileSync(path.join(__dirname, "..", "..", "..", "README.md"), "utf8");
const percent = (r: number) => `${(r * 100).toFixed(1)}%`;
/** Median and 95th percentile decision times, "3 s / 5 s". */
const times = (median: number, p95: number) => (Number.isNaN(median) ? "—" : `${median} s / ${p95} s`);

/** The README table row that starts with `label`, as its cells. */
function readmeRow(label: string): string[] {
  const line = README.split("\n").find((l) => l.startsWith(`| ${label} |`));
  assert.ok(line, `README.md has no row "| ${label} |" in "How the gate decides"`);
  return line.split("|").slice(2, -1).map((c) => c.trim());
}

const errors = (errorRate: number): ColorModel => ({ errorRate, latency: normalLatency });

/** One README row per simulated error rate: final fails, fails in all, passes, median times. */
const errorRows: { label: string; p: number; seed: number }[] = [
  { label: "0% (a good release)", p: 0, seed: 11 },
  { label: "0.05%", p: 0.0005, seed: 12 },
  { label: "0.1% (the SLO limit)", p: 0.001, seed: 13 },
  { label: "0.5%", p: 0.005, seed: 14 },
  { label: "2% (clearly bad)", p: 0.02, seed: 15 },
  { label: "5%", p: 0.05, seed: 16 },
];

describe("gate sequential analysis, simulated: error rate", () => {
  const measured = new Map<number, Rates>();
  const rates = (p: number, seed: number) => {
    if (!measured.has(p)) measured.set(p, simulateRates(seed, WINDOWS, { canary: errors(p), checks: ["error-rate"] }));
    return measured.get(p)!;
  };

  it("never fails a release without errors, and passes it after about 7 s of traffic", () => {
    const r = rates(0, 11);
    assert.equal(r.fail, 0);
    assert.equal(r.pass, 1);
    assert.ok(r.medianPassSeconds <= 8, `median pass after ${r.medianPassSeconds} s`);
  });

  for (const row of errorRows.filter((x) => x.p > 0 && x.p <= 0.001)) {
    it(`fails a release at ${row.label} errors at most alpha of the time, the cap's fixed-window rule included`, () => {
      const r = rates(row.p, row.seed);
      assert.ok(r.sequentialFail <= ALPHA, `final failures ${percent(r.sequentialFail)}`);
      assert.ok(r.fail <= ALPHA, `failures in all ${percent(r.fail)}`);
      // Not vacuous: at the limit some windows do fail.
      if (row.p === 0.001) assert.ok(r.sequentialFail > 0);
    });
  }

  for (const row of errorRows.filter((x) => x.p >= 0.02)) {
    it(`passes a release at ${row.label} errors at most beta of the time`, () => {
      const r = rates(row.p, row.seed);
      assert.ok(r.pass <= BETA, `passed ${percent(r.pass)}`);
    });
  }

  it("fails a 5%-error release after a median of at most 3 s of traffic, 95% of them within 5 s", () => {
    const r = rates(0.05, 16);
    assert.ok(r.medianFailSeconds <= 3, `median fail after ${r.medianFailSeconds} s`);
    assert.ok(r.p95FailSeconds <= 5, `95th percentile fail after ${r.p95FailSeconds} s`);
  });

  it("README.md states the simulated rates and times", () => {
    for (const row of errorRows) {
      const r = rates(row.p, row.seed);
      assert.deepEqual(readmeRow(row.label), [percent(r.sequentialFail), percent(r.fail), percent(r.pass), times(r.medianFailSeconds, r.p95FailSeconds), times(r.medianPassSeconds, r.p95PassSeconds)], row.label);
    }
  });
});

/** Latencies in 5-55 ms, with a share of requests in 300-500 ms: wholly inside buckets, so the histogram reads them exactly. */
const slowShare = (share: number): ColorModel => ({ errorRate: 0, latency: (r) => (r() < share ? 0.3 + r() * 0.2 : 0.005 + r() * 0.05) });
const scaled = (factor: number): ColorModel => ({ errorRate: 0, latency: (r) => normalLatency(r) * factor });
/** A long exponential tail (mean 10 ms above 5 ms): the canary rule's p95 comparison at its noisiest. */
const longTail: ColorModel = { errorRate: 0, latency: (r) => 0.005 - Math.log(1 - r()) * 0.01 };

const latencyRows: { label: string; o: Parameters<typeof simulateRates>[2]; seed: number }[] = [
  { label: "5% slower than 200 ms (the SLO limit)", o: { canary: slowShare(0.05), checks: ["latency"] }, seed: 21 },
  { label: "15% slower than 200 ms (clearly slow)", o: { canary: slowShare(0.15), checks: ["latency"] }, seed: 22 },
  { label: "as fast as the baseline", o: { canary: scaled(1), baseline: scaled(1), checks: ["latency"] }, seed: 23 },
  { label: "as fast as the baseline, long tail", o: { canary: longTail, baseline: longTail, checks: ["latency"] }, seed: 24 },
  { label: "1.5 times the baseline's latency", o: { canary: scaled(1.5), baseline: scaled(1), checks: ["latency"] }, seed: 25 },
  { label: "a good release, both checks, against its baseline", o: { canary: errors(0), baseline: errors(0) }, seed: 26 },
];

describe("gate sequential analysis, simulated: latency", () => {
  const measured = new Map<string, Rates>();
  const rates = (label: string) => {
    const row = latencyRows.find((x) => x.label === label)!;
    if (!measured.has(label)) measured.set(label, simulateRates(row.seed, LATENCY_WINDOWS, row.o));
    return measured.get(label)!;
  };

  it("fails a release at the p95 limit at most alpha of the time", () => {
    const r = rates("5% slower than 200 ms (the SLO limit)");
    assert.ok(r.fail <= ALPHA && r.fail > 0, `failed ${percent(r.fail)}`);
  });

  it("passes a clearly slow release at most beta of the time", () => {
    const r = rates("15% slower than 200 ms (clearly slow)");
    assert.ok(r.pass <= BETA, `passed ${percent(r.pass)}`);
  });

  it("rarely fails a canary as fast as its baseline, even with a long tail", () => {
    for (const label of ["as fast as the baseline", "as fast as the baseline, long tail"]) {
      const r = rates(label);
      assert.ok(r.fail <= ALPHA, `${label}: failed ${percent(r.fail)}`);
      assert.ok(r.medianPassSeconds <= 8, `${label}: median pass after ${r.medianPassSeconds} s`);
    }
  });

  it("fails a canary 1.5 times slower than its baseline within a median of 3 s of traffic", () => {
    const r = rates("1.5 times the baseline's latency");
    assert.ok(r.pass <= BETA, `passed ${percent(r.pass)}`);
    assert.ok(r.medianFailSeconds <= 3, `median fail after ${r.medianFailSeconds} s`);
  });

  it("never fails a good release judged by both checks against its baseline, and passes it within a median of 8 s", () => {
    const r = rates("a good release, both checks, against its baseline");
    assert.equal(r.fail, 0);
    assert.ok(r.medianPassSeconds <= 8, `median pass after ${r.medianPassSeconds} s`);
  });

  it("README.md states the simulated rates and times", () => {
    for (const row of latencyRows) {
      const r = rates(row.label);
      assert.deepEqual(readmeRow(row.label), [percent(r.sequentialFail), percent(r.fail), percent(r.pass), times(r.medianFailSeconds, r.p95FailSeconds), times(r.medianPassSeconds, r.p95PassSeconds)], row.label);
    }
  });
});

describe("gate sequential analysis: README.md states the method's constants", () => {
  it("names the defaults the code has", () => {
    const a = gateConfigSchema.parse({}).analysis;
    assert.ok(README.includes("### How the gate decides"));
    // Its prose, lines joined: a figure may wrap.
    const from = README.indexOf("### How the gate decides");
    const section = README.slice(from, README.indexOf("\n## ", from)).replace(/\s+/g, " ");
    const expected = [
      `confidence ${a.confidence}`,
      `${a.clearlyBadErrorRatePercent}%`,
      `${a.clearlyBadSlowPercent}%`,
      `at most ${a.windowSeconds} s`,
      `${requestsToAccept(a.maxErrorRatePercent / 100, a.clearlyBadErrorRatePercent / 100, ALPHA)} requests`,
      `${a.syntheticRps} req/s`,
    ];
    for (const text of expected) assert.ok(section.includes(text), `"How the gate decides" should say "${text}"`);
    // The comparison with the fixed 10 s window (300 requests, failed by any error): per attempt and over three.
    const perAttempt = 1 - (1 - 0.005) ** (10 * a.syntheticRps);
    assert.ok(section.includes(`failed it ${Math.round(perAttempt * 100)}% of the time per attempt, ${Math.round(perAttempt ** 3 * 100)}% over its three`));
  });
});
