// Notifications on the wire, against real HTTP receivers on 127.0.0.1: the signed webhook's HMAC
// (and what a receiver must refuse), the Slack payload, every event of a rollout arriving in order
// with every field, retries with backoff, and a receiver that fails or hangs costing a rollback
// nothing and a command's exit at most the flush bound. Time is asserted with generous margins.
import { strict as assert } from "assert";
import { Notifier } from "../../components/notify/notifier";
import { SendQueue, backoffMs, postOnce, redactUrl } from "../../components/notify/sender";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signature, signedHeaders, verifySignature, webhookBody } from "../../components/notify/signed-webhook";
import { slackPayload, toMrkdwn } from "../../components/notify/slack";
import { TEMPLATE_FIELDS } from "../../components/notify/templates";
import { notificationFor } from "../../components/notify/notifier";
import { RolloutController, RolloutDeps, RolloutPlan } from "../../components/rollout/controller";
import { EventSink, RolloutEvent } from "../../components/rollout/events";
import type { WindowVerdict } from "../../components/rollout/verdict";
import { ROLLOUT_ID, SIGNING_KEY, automaticRollback, completedRollout, failedStep, fullConfig, stuckLock, trigger } from "./helpers/notify-fixtures";
import { Receiver, startReceiver } from "./helpers/webhook-receiver";

const NOW = Date.parse("2026-12-02T06:12:00.000Z");
const quiet = () => undefined;

describe("notify: the signed webhook (HMAC-SHA256, timestamped)", function () {
  this.timeout(60_000);
  const body = '{"event":{"type":"rolled-back"},"text":"x","fields":{}}';
  const h = signedHeaders(body, SIGNING_KEY, NOW);

  it("signs <timestamp>.<body> with the key: sha256=<hex>", () => {
    assert.equal(h[TIMESTAMP_HEADER], String(NOW / 1000));
    assert.match(h[SIGNATURE_HEADER], /^sha256=[0-9a-f]{64}$/);
    assert.equal(h[SIGNATURE_HEADER], signature(body, NOW / 1000, SIGNING_KEY));
  });

  it("verifies the body as sent, within the tolerance", () => {
    assert.deepEqual(verifySignature(body, h[TIMESTAMP_HEADER], h[SIGNATURE_HEADER], SIGNING_KEY, 300, NOW + 299_000), { ok: true });
    assert.deepEqual(verifySignature(Buffer.from(body), Number(h[TIMESTAMP_HEADER]), h[SIGNATURE_HEADER].toUpperCase().replace("SHA256=", "sha256="), SIGNING_KEY, 300, NOW), { ok: true });
  });

  it("refuses a tampered body, another key, an old or future timestamp, a missing or malformed header", () => {
    const no = (r: ReturnType<typeof verifySignature>) => (r.ok ? "accepted" : r.reason);
    assert.match(no(verifySignature(body.replace("x", "y"), h[TIMESTAMP_HEADER], h[SIGNATURE_HEADER], SIGNING_KEY, 300, NOW)), /does not match the body/);
    assert.match(no(verifySignature(body, h[TIMESTAMP_HEADER], h[SIGNATURE_HEADER], "another-key-0123456789", 300, NOW)), /does not match/);
    // A replay: the same request, valid when sent, presented later than the tolerance.
    assert.match(no(verifySignature(body, h[TIMESTAMP_HEADER], h[SIGNATURE_HEADER], SIGNING_KEY, 300, NOW + 301_000)), /is 301 s from now \(at most 300 s allowed\): a replay/);
    assert.match(no(verifySignature(body, h[TIMESTAMP_HEADER], h[SIGNATURE_HEADER], SIGNING_KEY, 300, NOW - 600_000)), /600 s from now/);
    // The timestamp is inside the signature: moving it forward breaks the signature.
    assert.match(no(verifySignature(body, String(NOW / 1000 + 1), h[SIGNATURE_HEADER], SIGNING_KEY, 300, NOW)), /does not match/);
    assert.match(no(verifySignature(body, undefined, h[SIGNATURE_HEADER], SIGNING_KEY, 300, NOW)), /X-Runbook-Timestamp missing/);
    assert.match(no(verifySignature(body, "12.5", h[SIGNATURE_HEADER], SIGNING_KEY, 300, NOW)), /not unix seconds/);
    assert.match(no(verifySignature(body, h[TIMESTAMP_HEADER], "sha1=abc", SIGNING_KEY, 300, NOW)), /X-Runbook-Signature missing or not sha256=<64 hex digits>/);
  });
});

describe("notify: the Slack payload (text and blocks)", function () {
  this.timeout(60_000);

  it("header, mrkdwn sections and a context line; the text for clients without blocks", () => {
    const events = automaticRollback();
    const n = notificationFor(events[events.length - 1], { ...fullConfig(), history: events })!;
    const p = slackPayload(n);
    assert.deepEqual(p.blocks.map((b) => b.type), ["header", ...p.blocks.slice(1, -1).map(() => "section"), "context"]);
    assert.ok(p.blocks.length >= 3);
    const header = p.blocks[0] as { text: { text: string } };
    assert.equal(header.text.text, "⚠️ Deployment Rolled Back: prod");
    const sections = p.blocks.filter((b) => b.type === "section").map((b) => (b as { text: { text: string } }).text.text).join("\n\n");
    assert.match(sections, /\*Reason\*: error-rate: error rate 6\.25% &gt; 1\.00% limit/);
    assert.match(sections, /☐ Root cause analysis/);
    assert.match(sections, /<https:\/\/incidents\.example\.com\/new\?service=app\|https:\/\/incidents\.example\.com\/new\?service=app>/);
    const context = p.blocks[p.blocks.length - 1] as { elements: { text: string }[] };
    assert.equal(context.elements[0].text, `stack *prod* · event \`rolled-back\` · ${events[events.length - 1].at} · rollout ${ROLLOUT_ID.slice(0, 8)}`);
    assert.match(p.text, /^⚠️ Deployment Rolled Back: prod\n/);
    assert.doesNotMatch(p.text, /\*\*/);
  });

  it("mrkdwn: bold, links and Slack's escapes", () => {
    assert.equal(toMrkdwn("**A** <b> & [x](https://h/a?b=1)"), "*A* &lt;b&gt; &amp; <https://h/a?b=1|x>");
  });
});

/** A notifier with a Slack and a signed webhook receiver, fast backoff for the tests. */
function notifier(slack: Receiver | undefined, webhook: Receiver | undefined, over: Parameters<typeof fullConfig>[0] = {}, log: (l: string) => void = quiet) {
  return new Notifier({
    config: fullConfig({ slackWebhookUrl: slack?.url, webhookUrl: webhook?.url, signingKey: webhook ? SIGNING_KEY : undefined, ...over }),
    log,
    queue: { baseDelayMs: 20, maxDelayMs: 200 },
  });
}

describe("notify: every event of a rollout reaches the receivers", function () {
  this.timeout(60_000);
  let slack: Receiver;
  let webhook: Receiver;
  beforeEach(async () => {
    slack = await startReceiver();
    webhook = await startReceiver();
  });
  afterEach(async () => {
    await slack.close();
    await webhook.close();
  });

  it("in order, each signed (the HMAC verifies) and carrying every field of its template", async () => {
    const n = notifier(slack, webhook);
    const events = [...automaticRollback(), ...failedStep(), ...completedRollout()];
    const sink = new EventSink({ write: quiet, writeErr: quiet, afterEmit: n.afterEmit });
    for (const e of events) sink.emit(e);
    n.notify(stuckLock());
    // Passing windows do not notify; every other event does.
    const expected = [...events.filter((e) => !(e.type === "analysis" && e.verdict === "pass")), stuckLock()];
    await Promise.all([slack.waitFor(expected.length), webhook.waitFor(expected.length)]);
    const r = await n.flush(5000);
    assert.deepEqual({ sent: r.sent, failed: r.failed, dropped: r.dropped }, { sent: expected.length * 2, failed: 0, dropped: 0 });

    for (const [i, req] of webhook.received.entries()) {
      assert.equal(req.path, "/services/T0001/B0002/s3cr3t-token");
      assert.equal(req.headers["content-type"], "application/json");
      const v = verifySignature(req.body, req.headers[TIMESTAMP_HEADER.toLowerCase()] as string, req.headers[SIGNATURE_HEADER.toLowerCase()] as string, SIGNING_KEY, 300, req.at);
      assert.deepEqual(v, { ok: true }, `request ${i}`);
      const body = JSON.parse(req.body) as { event: { type: string; at: string }; template: keyof typeof TEMPLATE_FIELDS; text: string; fields: Record<string, string> };
      assert.deepEqual([body.event.type, body.event.at], [expected[i].type, expected[i].at], `request ${i} out of order`);
      assert.deepEqual(Object.keys(body).sort(), ["event", "fields", "template", "text"]);
      // The runbook's templates and the failures: every field there (all are configured here).
      if (body.template !== "rollout-event" && !(body.event.type === "rolled-back" && i > 0 && expected[i - 1].type === "failed")) {
        assert.deepEqual(Object.keys(body.fields), [...TEMPLATE_FIELDS[body.template]], `${body.template}: fields`);
      }
      for (const value of Object.values(body.fields)) if (body.template !== "rollout-event") assert.ok(body.text.includes(value), `${body.template}: ${value}`);
    }
    const templates = webhook.received.map((q) => (JSON.parse(q.body) as { template: string }).template);
    for (const t of ["deployment-starting", "deployment-complete", "rollback", "promotion-stopped", "rollout-aborted", "stuck-lock", "rollout-event"]) assert.ok(templates.includes(t), t);

    for (const req of slack.received) {
      const p = JSON.parse(req.body) as { text: string; blocks: { type: string }[] };
      assert.equal(typeof p.text, "string");
      assert.deepEqual([p.blocks[0].type, p.blocks[p.blocks.length - 1].type], ["header", "context"]);
      assert.equal(req.headers[SIGNATURE_HEADER.toLowerCase()], undefined);
    }
  });

  it("a retry is signed again with its own timestamp", async () => {
    const flaky = await startReceiver((i) => (i === 0 ? 503 : 200));
    try {
      const n = notifier(undefined, flaky);
      n.notify(stuckLock());
      await flaky.waitFor(2);
      await n.flush(5000);
      for (const req of flaky.received) assert.deepEqual(verifySignature(req.body, req.headers["x-runbook-timestamp"] as string, req.headers["x-runbook-signature"] as string, SIGNING_KEY, 300, req.at), { ok: true });
    } finally {
      await flaky.close();
    }
  });
});

describe("notify: retries, timeouts and the flush bound", function () {
  this.timeout(60_000);

  it("backoff doubles from the base, with jitter in its upper half, up to the maximum", () => {
    assert.deepEqual([0, 1, 2, 3, 10].map((n) => backoffMs(n, 100, 1000, () => 0)), [50, 100, 200, 400, 500]);
    assert.deepEqual([0, 1, 2, 3, 10].map((n) => backoffMs(n, 100, 1000, () => 1)), [100, 200, 400, 800, 1000]);
  });

  it("on 500 it retries with growing waits, then succeeds", async () => {
    const r = await startReceiver((i) => (i < 2 ? 500 : 200));
    try {
      const log: string[] = [];
      const q = new SendQueue({ url: r.url, name: "webhook", timeoutMs: 2000, retries: 3, baseDelayMs: 100, maxDelayMs: 1000, random: () => 1, log: (l) => log.push(l) });
      q.enqueue({ label: "t", build: () => ({ body: "{}", headers: {} }) });
      await r.waitFor(3);
      await q.idle();
      assert.deepEqual(q.stats, { sent: 1, failed: 0, dropped: 0 });
      assert.deepEqual(log, []);
      const [a, b, c] = r.received.map((x) => x.at);
      // Waits of 100 then 200 ms (random 1); lower bounds only, timers never fire early.
      assert.ok(b - a >= 90, `first wait ${b - a} ms`);
      assert.ok(c - b >= 190, `second wait ${c - b} ms`);
    } finally {
      await r.close();
    }
  });

  it("gives up after the retries, or at once on a 4xx, with one line that names the host only", async () => {
    const always500 = await startReceiver(() => 500);
    const gone = await startReceiver(() => 404);
    try {
      const log: string[] = [];
      const q5 = new SendQueue({ url: always500.url, name: "slack", timeoutMs: 2000, retries: 2, baseDelayMs: 10, log: (l) => log.push(l) });
      const q4 = new SendQueue({ url: gone.url, name: "webhook", timeoutMs: 2000, retries: 3, baseDelayMs: 10, log: (l) => log.push(l) });
      q5.enqueue({ label: "rollback (rolled-back in prod)", build: () => ({ body: "{}", headers: {} }) });
      q4.enqueue({ label: "rollback (rolled-back in prod)", build: () => ({ body: "{}", headers: {} }) });
      await Promise.all([q5.idle(), q4.idle()]);
      assert.equal(always500.received.length, 3);
      assert.equal(gone.received.length, 1);
      assert.deepEqual([q5.stats.failed, q4.stats.failed], [1, 1]);
      const host = new URL(always500.url).host;
      assert.ok(log.includes(`warning: notification rollback (rolled-back in prod) to slack http://${host}/… not delivered after 3 attempts (HTTP 500)`), log.join("\n"));
      assert.ok(log.some((l) => /to webhook http:\/\/127\.0\.0\.1:\d+\/… not delivered after 1 attempt \(HTTP 404\)/.test(l)), log.join("\n"));
      for (const l of log) assert.ok(!l.includes("s3cr3t-token") && !l.includes("/services/"), l);
    } finally {
      await always500.close();
      await gone.close();
    }
  });

  it("a connection refused is retried and never thrown", async () => {
    const r = await startReceiver();
    const url = r.url;
    await r.close();
    const log: string[] = [];
    const q = new SendQueue({ url, name: "webhook", timeoutMs: 1000, retries: 1, baseDelayMs: 10, log: (l) => log.push(l) });
    q.enqueue({ label: "t", build: () => ({ body: "{}", headers: {} }) });
    await q.idle();
    assert.equal(q.stats.failed, 1);
    assert.match(log[0], /not delivered after 2 attempts \(ECONNREFUSED\)$/);
  });

  it("one attempt is cut at timeoutMs", async () => {
    const r = await startReceiver(() => "hang");
    try {
      const t0 = Date.now();
      const res = await postOnce(r.url, "{}", {}, 300);
      assert.deepEqual(res, { ok: false, retryable: true, detail: "timed out after 300 ms" });
      assert.ok(Date.now() - t0 < 300 + 2000, `${Date.now() - t0} ms`);
    } finally {
      await r.close();
    }
  });

  it("a receiver that hangs: flush(bound) returns within the bound and says what it dropped", async () => {
    const r = await startReceiver(() => "hang");
    try {
      const log: string[] = [];
      // The attempt's own timeout is longer than the bound: the bound is what ends it.
      const n = notifier(undefined, r, { timeoutMs: 30_000 }, (l) => log.push(l));
      const events = automaticRollback();
      for (const e of events) n.notify(e);
      await r.waitFor(1);
      const t0 = Date.now();
      const res = await n.flush(500);
      const took = Date.now() - t0;
      assert.ok(took >= 450 && took < 500 + 1500, `flush took ${took} ms`);
      assert.equal(res.sent, 0);
      assert.equal(res.dropped, events.length - 1);
      assert.match(log.join("\n"), new RegExp(`^warning: ${events.length - 1} notifications not sent within the 500 ms bound at exit \\(webhook http://127\\.0\\.0\\.1:\\d+/…: slow or unreachable\\)$`, "m"));
      assert.doesNotMatch(log.join("\n"), /s3cr3t|services/);
      // Closed: a later notification is dropped at once, nothing is sent.
      n.notify(events[0]);
      assert.equal(r.received.length, 1);
    } finally {
      await r.close();
    }
  });

  it("flush returns as soon as everything is delivered", async () => {
    const r = await startReceiver();
    try {
      const n = notifier(r, undefined);
      n.notify(stuckLock());
      const t0 = Date.now();
      const res = await n.flush(20_000);
      assert.equal(res.sent, 1);
      assert.ok(Date.now() - t0 < 10_000, `${Date.now() - t0} ms`);
    } finally {
      await r.close();
    }
  });

  it("redactUrl keeps scheme and host only", () => {
    assert.equal(redactUrl("https://user:pw@hooks.slack.com/services/T/B/XYZ?token=1"), "https://hooks.slack.com/…");
    assert.equal(redactUrl("http://127.0.0.1:9000/"), "http://127.0.0.1:9000");
    assert.equal(redactUrl("not a url"), "(an unparsable URL)");
  });
});

describe("notify: a failing receiver delays no rollback", function () {
  this.timeout(60_000);

  const plan: RolloutPlan = {
    rolloutId: ROLLOUT_ID,
    stack: "prod",
    version: "v2.0.0",
    canary: "green",
    stable: { color: "blue", version: "v1.0.0" },
    steps: [10, 50, 100],
    pause: { kind: "timed", ms: 60_000 },
    bakeMs: 60_000,
    intervalMs: 10_000,
    warmupMs: 0,
    consecutiveBreaches: 2,
    resumeCommand: "npm run rollout -- resume --env prod",
    rollbackCommand: "npm run rollback -- --env prod",
    command: "npm run deploy -- --env prod --version v2.0.0",
  };
  const breach: WindowVerdict = { verdict: "breach", triggers: [trigger], notes: [], canary: { color: "green", version: "v2.0.0", requests: 80, errors: 5, errorRatePercent: 6.25, p95LatencyMs: 11 } };

  for (const behaviour of ["hang", 500] as const) {
    it(`receivers that ${behaviour === "hang" ? "hang" : "answer 500"}: the rollback starts at once, and the exit waits at most the bound`, async () => {
      const slack = await startReceiver(() => behaviour);
      const webhook = await startReceiver(() => behaviour);
      try {
        const n = notifier(slack, webhook, { timeoutMs: 30_000, retries: 10 });
        let now = 0;
        let abortedAt = 0;
        let rollbackAt = 0;
        const seen = (e: RolloutEvent) => void (e.type === "aborted" && (abortedAt = Date.now()));
        // Timed before the notifier's hook, so the gap to the rollback includes all it does.
        const sink = new EventSink({ write: quiet, writeErr: quiet, afterEmit: [seen, n.afterEmit] });
        const deps: RolloutDeps = {
          deployIdle: async () => undefined,
          applyStep: async () => undefined,
          judge: async () => breach,
          async rollback() {
            rollbackAt = Date.now();
            return { routerMs: 300, convergeMs: 4000 };
          },
          poll: () => [],
          writeStatus: () => undefined,
          now: () => now,
          // A fake clock: the controller's waits take no real time, only the notifications could.
          sleep: async (ms) => void (now += ms),
          events: sink,
        };
        const t0 = Date.now();
        const result = await new RolloutController(plan, deps).run();
        const runMs = Date.now() - t0;
        assert.equal(result.phase, "rolled-back");
        assert.ok(rollbackAt - abortedAt < 1000, `the rollback began ${rollbackAt - abortedAt} ms after the abort`);
        assert.ok(runMs < 5000, `the rollout took ${runMs} ms of real time`);
        await Promise.all([slack.waitFor(1), webhook.waitFor(1)]);
        const f0 = Date.now();
        const flushed = await n.flush(2000);
        const flushMs = Date.now() - f0;
        assert.ok(flushMs < 2000 + 1500, `flush took ${flushMs} ms`);
        assert.equal(flushed.sent, 0);
        assert.ok(flushed.dropped > 0);
      } finally {
        await slack.close();
        await webhook.close();
      }
    });
  }
});

describe("notify: the generic webhook body", function () {
  this.timeout(60_000);
  it("is {event, template, text, fields}, the event as recorded", () => {
    const n = notificationFor(stuckLock(), {})!;
    const body = JSON.parse(webhookBody(n));
    assert.deepEqual(body.event, stuckLock());
    assert.equal(body.template, "stuck-lock");
    assert.equal(body.text, n.text);
    assert.deepEqual(body.fields, n.fields);
  });
});
