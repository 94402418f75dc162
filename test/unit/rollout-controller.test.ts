// The rollout's state machine with a fake clock, fake `up`s and scripted analysis windows: no
// engine, no timers, no wall clock. Each test scripts what the world does and asserts what the
// controller did (the ups it ran, the events, the exit code).
import { strict as assert } from "assert";
import { ControlCommand, RolloutStatus } from "../../components/rollout/control";
import { RolloutController, RolloutDeps, RolloutPlan } from "../../components/rollout/controller";
import { EventSink, RolloutEvent } from "../../components/rollout/events";
import { WindowVerdict } from "../../components/rollout/verdict";

const fig = (requests: number, errors = 0, p95 = 7) => ({ color: "green", version: "v2.0.0", requests, errors, errorRatePercent: (errors / requests) * 100, p95LatencyMs: p95 });
const PASS: WindowVerdict = { verdict: "pass", triggers: [], notes: [], canary: fig(100) };
const QUIET: WindowVerdict = { verdict: "inconclusive", reason: "only 3 requests", triggers: [], notes: [] };
const BAD: WindowVerdict = {
  verdict: "breach",
  triggers: [{ metric: "error-rate", value: 4.8, limit: 1, unit: "%", hard: true, message: "error rate 4.80% > 1.00% limit (green v2.0.0: 24 of 500 requests)" }],
  notes: [],
  canary: fig(500, 24),
};

function plan(over: Partial<RolloutPlan> = {}): RolloutPlan {
  return {
    rolloutId: "r1",
    stack: "s",
    version: "v2.0.0",
    canary: "green",
    stable: { color: "blue", version: "v1.0.0" },
    steps: [10, 50, 100],
    pause: { kind: "timed", ms: 3000 },
    bakeMs: 5000,
    intervalMs: 1000,
    warmupMs: 4000,
    consecutiveBreaches: 2,
    resumeCommand: "npm run rollout -- resume --env s",
    rollbackCommand: "npm run rollback -- --env s",
    command: "npm run deploy",
    ...over,
  };
}

/** A world with a fake clock: `sleep` advances it; scripted verdicts and commands by time. */
function world(opts: { verdict?: (now: number, judged: number) => WindowVerdict; commands?: { at: number; verb: ControlCommand["verb"] }[]; failStep?: number; onSleep?: (now: number) => void } = {}) {
  let now = 0;
  let judged = 0;
  const ups: string[] = [];
  const statuses: RolloutStatus[] = [];
  const pending = [...(opts.commands ?? [])];
  const events = new EventSink({ write: () => undefined, writeErr: () => undefined });
  const deps: RolloutDeps = {
    async deployIdle() {
      ups.push("deploy green v2.0.0");
      now += 5000;
    },
    async applyStep(p) {
      if (p === opts.failStep) throw new Error("health gate failed");
      ups.push(`green ${p}`);
      now += 12000;
    },
    async judge() {
      judged++;
      return opts.verdict ? opts.verdict(now, judged) : PASS;
    },
    async rollback() {
      ups.push("rollback to blue");
      return { routerMs: 400, convergeMs: 6000 };
    },
    poll() {
      const due = pending.filter((c) => c.at <= now);
      for (const c of due) pending.splice(pending.indexOf(c), 1);
      return due.map((c, i) => ({ id: `${c.at}-${i}`, verb: c.verb, at: new Date(now).toISOString(), by: "bob@host (pid 7)" }));
    },
    writeStatus: (s) => statuses.push(s),
    now: () => now,
    async sleep(ms) {
      now += ms;
      opts.onSleep?.(now);
    },
    events,
  };
  return { deps, ups, statuses, events: () => events.events, types: () => events.events.map((e: RolloutEvent) => e.type), now: () => now, judged: () => judged };
}

describe("rollout: the controller (fake clock)", () => {
  it("a good release: deploy to idle, 10 -> 50 -> 100 with pauses, a bake, completed (exit 0)", async () => {
    const w = world();
    const r = await new RolloutController(plan(), w.deps).run();
    assert.equal(r.exitCode, 0, r.message);
    assert.deepEqual(w.ups, ["deploy green v2.0.0", "green 10", "green 50", "green 100"]);
    const t = w.types();
    assert.equal(t[0], "started");
    assert.equal(t[t.length - 1], "completed");
    assert.deepEqual(w.events().filter((e) => e.type === "promoted").map((e) => (e as { next: unknown }).next), [50, 100, "complete"]);
    assert.match(r.message, /v2\.0\.0 on green serves 100%; blue v1\.0\.0 kept as the rollback target/);
    assert.equal(w.statuses[w.statuses.length - 1].phase, "completed");
  });

  it("each pause lasts at least its time and ends only on a passing window", async () => {
    const w = world();
    await new RolloutController(plan(), w.deps).run();
    const ev = w.events();
    const applied = ev.filter((e) => e.type === "step-applied").map((e) => Date.parse(e.at));
    const promoted = ev.filter((e) => e.type === "promoted").map((e) => Date.parse(e.at));
    assert.ok(promoted[0] - applied[0] >= 3000, `pause lasted ${promoted[0] - applied[0]} ms`);
    assert.ok(promoted[2] - applied[2] >= 5000, `bake lasted ${promoted[2] - applied[2]} ms`);
  });

  it("a breach during the 10% pause rolls back at once and exits 1 naming metric, value and limit", async () => {
    const w = world({ verdict: (_now, n) => (n >= 2 ? BAD : PASS) });
    const r = await new RolloutController(plan(), w.deps).run();
    assert.equal(r.exitCode, 1);
    assert.deepEqual(w.ups, ["deploy green v2.0.0", "green 10", "rollback to blue"]);
    assert.equal(r.message, "rolled back to blue v1.0.0: error-rate: error rate 4.80% > 1.00% limit (green v2.0.0: 24 of 500 requests)");
    assert.deepEqual(w.types().slice(-2), ["aborted", "rolled-back"]);
    assert.equal(r.trigger?.metric, "error-rate");
  });

  it("inconclusive windows pause the rollout and never promote; resume lets it go on", async () => {
    const w = world({ verdict: (now) => (now < 40_000 ? QUIET : PASS), commands: [{ at: 60_000, verb: "resume" }] });
    const r = await new RolloutController(plan({ steps: [10, 100] }), w.deps).run();
    assert.equal(r.exitCode, 0);
    const ev = w.events();
    const pausedAt = ev.find((e) => e.type === "paused" && e.reason === "inconclusive");
    assert.ok(pausedAt, "no inconclusive pause");
    const firstPromotion = ev.find((e) => e.type === "promoted")!;
    assert.ok(Date.parse(firstPromotion.at) >= 60_000, `promoted at ${firstPromotion.at}, before the resume`);
  });

  it("inconclusive windows while the first window after a step fills neither pause nor pass", async () => {
    // Thin for 3 s after each step (warm-up 4 s), then passing: no pause, no operator needed.
    let stepAt = 0;
    const w = world({ verdict: (now) => (now - stepAt < 3000 ? QUIET : PASS) });
    const apply = w.deps.applyStep;
    w.deps.applyStep = async (p) => {
      await apply(p);
      stepAt = w.now();
    };
    const r = await new RolloutController(plan(), w.deps).run();
    assert.equal(r.exitCode, 0, r.message);
    assert.ok(!w.events().some((e) => e.type === "paused" && e.reason === "inconclusive"));
  });

  it("an operator pause while already paused by an inconclusive window is acknowledged and holds until resume", async () => {
    const w = world({ verdict: (now) => (now < 40_000 ? QUIET : PASS), commands: [{ at: 30_000, verb: "pause" }, { at: 90_000, verb: "resume" }] });
    const r = await new RolloutController(plan({ steps: [10, 100] }), w.deps).run();
    assert.equal(r.exitCode, 0, r.message);
    const ev = w.events();
    const inconclusive = ev.find((e) => e.type === "paused" && e.reason === "inconclusive");
    const operator = ev.find((e) => e.type === "paused" && e.reason === "operator");
    assert.ok(inconclusive && operator, `paused events: ${JSON.stringify(ev.filter((e) => e.type === "paused"))}`);
    assert.ok(Date.parse(operator.at) > Date.parse(inconclusive.at), "the operator's pause came second and was still acknowledged");
    const firstPromotion = ev.find((e) => e.type === "promoted")!;
    assert.ok(Date.parse(firstPromotion.at) >= 90_000, `promoted at ${firstPromotion.at}, before the resume`);
  });

  it("a quiet source never promotes on its own (it stays paused until told)", async () => {
    const w = world({ verdict: () => QUIET, commands: [{ at: 600_000, verb: "abort" }] });
    const r = await new RolloutController(plan(), w.deps).run();
    assert.equal(r.exitCode, 1);
    assert.deepEqual(w.ups, ["deploy green v2.0.0", "green 10", "rollback to blue"]);
    assert.ok(!w.types().includes("promoted"));
  });

  it("manual pause: waits for promote; operator pause stops the clock until resume; abort rolls back", async () => {
    const w = world({ commands: [{ at: 100_000, verb: "promote" }, { at: 120_000, verb: "pause" }, { at: 150_000, verb: "resume" }, { at: 400_000, verb: "abort" }] });
    const r = await new RolloutController(plan({ pause: { kind: "manual" } }), w.deps).run();
    assert.equal(r.exitCode, 1);
    assert.match(r.message, /rolled back to blue v1\.0\.0: aborted by bob@host \(pid 7\)/);
    assert.deepEqual(w.ups, ["deploy green v2.0.0", "green 10", "green 50", "rollback to blue"]);
    const ev = w.events();
    const promoted = ev.find((e) => e.type === "promoted")!;
    assert.equal((promoted as { by: string }).by, "operator");
    assert.ok(Date.parse(promoted.at) >= 100_000);
    assert.ok(ev.some((e) => e.type === "paused" && e.reason === "operator"));
    assert.ok(ev.some((e) => e.type === "resumed" && e.by.startsWith("bob")));
  });

  it("a timed pause does not count time while paused by the operator", async () => {
    const w = world({ commands: [{ at: 17_500, verb: "pause" }, { at: 60_000, verb: "resume" }] });
    await new RolloutController(plan({ steps: [10, 100] }), w.deps).run();
    const promoted = w.events().find((e) => e.type === "promoted")!;
    assert.ok(Date.parse(promoted.at) >= 60_000 + 500, `promoted at ${promoted.at}`);
  });

  it("a failed step (gate or policy) rolls back what the earlier steps moved", async () => {
    const w = world({ failStep: 50 });
    const r = await new RolloutController(plan(), w.deps).run();
    assert.equal(r.exitCode, 1);
    assert.deepEqual(w.ups, ["deploy green v2.0.0", "green 10", "rollback to blue"]);
    assert.match(r.message, /step 2 \(green 50%\) failed: health gate failed/);
  });

  it("a failed first step moved nothing: no rollback, exit 1", async () => {
    const w = world({ failStep: 10 });
    const r = await new RolloutController(plan(), w.deps).run();
    assert.equal(r.exitCode, 1);
    assert.deepEqual(w.ups, ["deploy green v2.0.0"]);
    assert.equal(r.phase, "failed");
  });

  it("Ctrl-C leaves traffic at the last completed step and says how to resume and roll back (exit 130)", async () => {
    let c: RolloutController | undefined;
    const w = world({ onSleep: (now) => now > 20_000 && c?.interrupt() });
    c = new RolloutController(plan({ pause: { kind: "timed", ms: 600_000 } }), w.deps);
    const r = await c.run();
    assert.equal(r.exitCode, 130);
    assert.deepEqual(w.ups, ["deploy green v2.0.0", "green 10"]);
    const e = w.events().pop()!;
    assert.equal(e.type, "interrupted");
    assert.deepEqual((e as { traffic: unknown }).traffic, { blue: 90, green: 10 });
    assert.equal(w.statuses[w.statuses.length - 1].stepIndex, 0);
  });

  it("resume continues from the step traffic was left at (no new deploy, no repeated step)", async () => {
    const w = world();
    const r = await new RolloutController(plan(), w.deps, { stepIndex: 0 }).run();
    assert.equal(r.exitCode, 0);
    assert.deepEqual(w.ups, ["green 50", "green 100"]);
    assert.equal(w.types()[0], "resumed");
  });

  it("the soft latency rule rolls back only after consecutive windows", async () => {
    const soft: WindowVerdict = { verdict: "breach", triggers: [{ metric: "p95-latency", value: 8.5, limit: 8.1, unit: "ms", hard: false, message: "p95 latency 8.5 ms > 8.1 ms limit" }], notes: [], canary: fig(100, 0, 8.5) };
    const once = world({ verdict: (_n, k) => (k === 1 ? soft : PASS) });
    assert.equal((await new RolloutController(plan(), once.deps).run()).exitCode, 0);
    const twice = world({ verdict: (_n, k) => (k <= 2 ? soft : PASS) });
    const r = await new RolloutController(plan(), twice.deps).run();
    assert.equal(r.exitCode, 1);
    assert.equal(r.trigger?.metric, "p95-latency");
  });
});
