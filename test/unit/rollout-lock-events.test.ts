// The stack lock's rules and file semantics, the control file, and the events' shapes.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ControlReader, sendCommand } from "../../components/rollout/control";
import { EVENT_TYPES, EventSink, RolloutEvent, formatEvent } from "../../components/rollout/events";
import { readJsonLines, rolloutFiles } from "../../components/rollout/files";
import { LockHolder, describeHolder, lockDecision, readLock, release, takeOver, tryAcquire } from "../../components/rollout/lock";

const holder = (kind: LockHolder["kind"], pid = 4242, message = "v2 canary"): LockHolder => ({ kind, holder: "alice@build-1", pid, since: "2026-11-25T12:00:00.000Z", message });
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "runbook-rollout-unit-"));

describe("rollout: who may do what under the stack lock", () => {
  const stack = "prod";
  it("nothing held: every operation takes the lock", () => {
    for (const op of ["deploy", "rollback", "resume", "freeze"] as const) assert.deepEqual(lockDecision(op, undefined, { stack }), { action: "acquire" });
  });
  it("a second deploy is refused naming holder, since and message", () => {
    const d = lockDecision("deploy", holder("rollout"), { stack });
    assert.deepEqual(d, { action: "refuse", message: 'stack prod is locked by a rollout of alice@build-1 (pid 4242) since 2026-11-25T12:00:00.000Z: "v2 canary"; deploy refused' });
  });
  it("a frozen stack refuses deploy and resume but lets a rollback through, keeping the freeze", () => {
    const freeze = holder("freeze", 1, "audit");
    assert.equal(lockDecision("deploy", freeze, { stack }).action, "refuse");
    assert.equal(lockDecision("resume", freeze, { stack }).action, "refuse");
    assert.equal(lockDecision("freeze", freeze, { stack }).action, "refuse");
    assert.deepEqual(lockDecision("rollback", freeze, { stack }), { action: "proceed" });
    assert.match((lockDecision("deploy", freeze, { stack }) as { message: string }).message, /is frozen by alice@build-1 \(pid 1\) since 2026-11-25T12:00:00\.000Z: "audit"; deploy refused \(a rollback is still allowed/);
  });
  it("a rollback takes over a running rollout only with the explicit flag", () => {
    const r = holder("rollout");
    const refused = lockDecision("rollback", r, { stack });
    assert.equal(refused.action, "refuse");
    assert.match((refused as { message: string }).message, /add --take-over/);
    assert.deepEqual(lockDecision("rollback", r, { stack, takeOver: true }), { action: "take-over", from: r });
    // Nothing else may take it over, flag or not.
    assert.equal(lockDecision("deploy", r, { stack, takeOver: true }).action, "refuse");
    assert.equal(lockDecision("freeze", r, { stack, takeOver: true }).action, "refuse");
  });
  it("the lock file: one holder at a time, released only by its holder, taken over only from who holds it", () => {
    const file = rolloutFiles("prod", tmp()).lock;
    const a = holder("rollout", 1, "a");
    const b = holder("rollout", 2, "b");
    assert.deepEqual(tryAcquire(file, a), { ok: true });
    assert.deepEqual(tryAcquire(file, b), { ok: false, held: a });
    assert.equal(release(file, b), false, "b does not hold it");
    assert.deepEqual(readLock(file), a);
    assert.equal(takeOver(file, b, holder("rollout", 3)), false, "taking over from someone who does not hold it");
    assert.equal(takeOver(file, a, b), true);
    assert.equal(release(file, a), false, "a lost it to the take-over");
    assert.equal(release(file, b), true);
    assert.equal(readLock(file), undefined);
    assert.equal(describeHolder(a), 'locked by a rollout of alice@build-1 (pid 1) since 2026-11-25T12:00:00.000Z: "a"');
  });
});

describe("rollout: the control file", () => {
  it("a reader sees only commands sent after it started, each once, in order", () => {
    const file = rolloutFiles("s", tmp()).control;
    sendCommand(file, "pause", "old");
    const reader = new ControlReader(file);
    assert.deepEqual(reader.poll(), []);
    sendCommand(file, "pause", "bob");
    sendCommand(file, "resume", "bob");
    assert.deepEqual(reader.poll().map((c) => [c.verb, c.by]), [["pause", "bob"], ["resume", "bob"]]);
    assert.deepEqual(reader.poll(), []);
  });
});

describe("rollout: events", () => {
  const base = { at: "2026-11-25T12:00:01.000Z", stack: "s", version: "v2.0.0", rolloutId: "r1" };
  const samples: RolloutEvent[] = [
    { ...base, type: "started", canary: "green", stable: { color: "blue", version: "v1.0.0" }, steps: [10, 50, 100], pause: "5m", bake: "30m", command: "npm run deploy" },
    { ...base, type: "step-applied", step: 1, of: 3, traffic: { blue: 90, green: 10 }, upMs: 12900 },
    { ...base, type: "paused", reason: "inconclusive", step: 1, detail: "only 3 requests" },
    { ...base, type: "resumed", step: 1, by: "bob" },
    { ...base, type: "analysis", phase: "pause", step: 1, verdict: "breach", triggers: [{ metric: "error-rate", value: 4.8, limit: 1, unit: "%", hard: true, message: "error rate 4.80% > 1.00% limit" }], notes: [], canary: { color: "green", version: "v2.0.0", requests: 500, errors: 24, errorRatePercent: 4.8, p95LatencyMs: 7.2 } },
    { ...base, type: "promoted", step: 1, by: "timer", next: 50 },
    { ...base, type: "aborted", step: 1, by: "analysis", reason: "error-rate: error rate 4.80% > 1.00% limit" },
    { ...base, type: "rolled-back", to: { color: "blue", version: "v1.0.0" }, traffic: { blue: 100, green: 0 }, routerMs: 480, convergeMs: 6100, reason: "x" },
    { ...base, type: "interrupted", step: 1, traffic: { blue: 90, green: 10 }, resume: "npm run rollout -- resume --env s", rollback: "npm run rollback -- --env s" },
    { ...base, type: "failed", step: 2, reason: "gate failed" },
    { ...base, type: "completed", canary: "green", stable: { color: "blue", version: "v1.0.0" }, durationMs: 61000 },
  ];
  it("there is a sample of every type, and each formats to a line starting with its time", () => {
    assert.deepEqual(samples.map((e) => e.type), EVENT_TYPES);
    for (const e of samples) assert.match(formatEvent(e), /^12:00:01 /);
    assert.equal(formatEvent(samples[4]), "12:00:01 analysis pause step 1: breach - error rate 4.80% > 1.00% limit | green v2.0.0 500 req, 4.80% errors, p95 7.2 ms");
    assert.equal(formatEvent(samples[7]), "12:00:01 rolled back to blue v1.0.0: blue 100% / green 0%, router switched in 480 ms, converged in 6.1 s (x)");
  });
  it("the sink prints lines, appends JSON to the history, and gives JSON lines with --json", () => {
    const dir = tmp();
    const history = path.join(dir, "history.jsonl");
    const out: string[] = [];
    const err: string[] = [];
    const append = (f: string, l: string) => fs.appendFileSync(f, `${l}\n`);
    new EventSink({ historyFile: history, write: (l) => out.push(l), writeErr: (l) => err.push(l), append }).emit(samples[0]);
    assert.deepEqual(out, [formatEvent(samples[0])]);
    const json = new EventSink({ historyFile: history, json: true, write: (l) => out.push(l), writeErr: (l) => err.push(l), append });
    json.emit(samples[1]);
    assert.deepEqual(JSON.parse(out[1]), samples[1]);
    assert.deepEqual(err, [formatEvent(samples[1])]);
    assert.deepEqual(readJsonLines(history), [samples[0], samples[1]]);
  });
});
