// The `notifications.*` stack config: defaults, errors that name the key and the allowed values,
// credentials never shown in a message (the schema's, the config read through the engine, the
// sender's lines), and the wiring the commands use: the event sink's hooks composed, a stuck
// lock recognised, template files refused before a deploy and tolerated by a rollback.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { sensitiveConfigKeys } from "../../components/config/read-config";
import { StackConfigError, nestConfig, parseStackConfig } from "../../components/config/stack-config";
import { EventSink } from "../../components/rollout/events";
import { rolloutFiles } from "../../components/rollout/files";
import { stuckRolloutLock } from "../../components/rollout/lock";
import type { ProjectStack } from "../../scripts/automation";
import { UsageError } from "../../scripts/cli-args";
import { eventSink, mayNotify, notifierFor, readConfig } from "../../scripts/rollout-runner";
import { automaticRollback, stuckLock } from "./helpers/notify-fixtures";

const SECRET_URL = "https://hooks.slack.example/services/T0001/B0002/s3cr3t-token";
const flat = (notifications: Record<string, unknown>) => ({ "deployment-runbook:blue.version": "v1.0.0", "deployment-runbook:notifications": JSON.stringify(notifications) });
const problems = (notifications: Record<string, unknown>): string[] => {
  try {
    parseStackConfig(nestConfig(flat(notifications)));
  } catch (e) {
    if (e instanceof StackConfigError) return e.problems;
    throw e;
  }
  return [];
};

describe("notify: the notifications.* config", function () {
  this.timeout(60_000);

  it("defaults: no receiver, a 2 s timeout per attempt, 3 retries", () => {
    const c = parseStackConfig(nestConfig({ "deployment-runbook:blue.version": "v1.0.0" }));
    assert.deepEqual(c.notifications, { timeoutMs: 2000, retries: 3 });
  });

  it("accepts every key (numbers as `config set --path` stores them, or as strings)", () => {
    const all = { slackWebhookUrl: SECRET_URL, webhookUrl: "https://receiver.example/hook", signingKey: "0123456789abcdef", onCall: "@ana", dashboardUrl: "https://grafana.example/d/1", incidentUrl: "https://incidents.example/new", templatesDir: "ops/templates", timeoutMs: "1500", retries: 0 };
    assert.deepEqual(parseStackConfig(nestConfig(flat(all))).notifications, { ...all, timeoutMs: 1500, retries: 0 });
  });

  it("a generic webhook needs its signing key, and says so", () => {
    assert.deepEqual(problems({ webhookUrl: "https://receiver.example/hook" }), [
      "deployment-runbook:notifications.signingKey: is required when notifications.webhookUrl is set (receivers verify X-Runbook-Signature with it; at least 16 characters, set as a secret: npm run pulumi -- config set --secret --path notifications.signingKey <key>) (got nothing)",
    ]);
  });

  it("errors name the key and the allowed values", () => {
    assert.deepEqual(problems({ slackUrl: "x" }), [
      "deployment-runbook:notifications.slackUrl: unknown key (allowed: slackWebhookUrl, webhookUrl, signingKey, onCall, dashboardUrl, incidentUrl, templatesDir, timeoutMs, retries)",
    ]);
    assert.deepEqual(problems({ timeoutMs: 50, retries: 11 }), [
      "deployment-runbook:notifications.timeoutMs: must be an integer from 100 to 60000 (milliseconds) (got 50)",
      "deployment-runbook:notifications.retries: must be an integer from 0 to 10 (got 11)",
    ]);
    assert.deepEqual(problems({ dashboardUrl: "ftp://grafana.example/d/1" }), ['deployment-runbook:notifications.dashboardUrl: must be an http(s) URL (got "ftp://grafana.example/d/1")']);
  });

  it("a bad credential is never echoed: [secret] instead, set as a secret or not", () => {
    const bad = "hooks.slack.example/services/T0001/B0002/s3cr3t-token";
    const msgs = problems({ slackWebhookUrl: bad, webhookUrl: `ftp://${bad}`, signingKey: "s3cr3t" });
    assert.deepEqual(msgs, [
      'deployment-runbook:notifications.slackWebhookUrl: must be an http(s) URL (got "[secret]")',
      'deployment-runbook:notifications.webhookUrl: must be an http(s) URL (got "[secret]")',
      'deployment-runbook:notifications.signingKey: must be a string of at least 16 characters (got "[secret]")',
    ]);
    for (const m of msgs) assert.ok(!m.includes("s3cr3t"), m);
  });

  it("the URLs and the signing key are sensitive keys: the secrets policy requires them to be secrets", () => {
    const keys = sensitiveConfigKeys(flat({ slackWebhookUrl: SECRET_URL, webhookUrl: "https://r.example/h", signingKey: "0123456789abcdef", onCall: "@ana" }), new Set());
    assert.deepEqual(keys.map((k) => k.key), ["deployment-runbook:notifications.slackWebhookUrl", "deployment-runbook:notifications.webhookUrl", "deployment-runbook:notifications.signingKey"]);
  });

  it("read through the engine (the rollout commands), a bad secret's value is masked in the error", async () => {
    const bad = "not-a-url-s3cr3t";
    // getAllConfig as the Automation API returns it: secrets decrypted, flagged secret.
    const ps = {
      stack: {
        getAllConfig: async () => ({
          "deployment-runbook:blue.version": { value: "v1.0.0", secret: false },
          "deployment-runbook:notifications": { value: JSON.stringify({ dashboardUrl: bad, onCall: "@ana" }), secret: true },
        }),
      },
    } as unknown as ProjectStack;
    await assert.rejects(readConfig(ps), (e: Error) => {
      assert.equal(e.message, 'invalid stack config:\n  - deployment-runbook:notifications.dashboardUrl: must be an http(s) URL (got "[secret]")');
      return true;
    });
  });
});

/** Runs `fn` with stdout and stderr captured (what the commands print); returns the stderr lines. */
function silently(fn: () => void): string[] {
  const err: string[] = [];
  const [out, errWrite] = [process.stdout.write, process.stderr.write];
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = ((l: string) => (err.push(l), true)) as typeof process.stderr.write;
  try {
    fn();
  } finally {
    process.stdout.write = out;
    process.stderr.write = errWrite;
  }
  return err;
}

describe("notify: the commands' wiring", function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "notify-wiring-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const config = (notifications: Record<string, unknown>) => parseStackConfig(nestConfig(flat(notifications)));

  it("no receiver configured: no notifier", () => {
    assert.equal(notifierFor(config({ onCall: "@ana" }), rolloutFiles("s", dir), { strict: true }), undefined);
  });

  it("a template file it cannot use: a usage error for deploy, built-ins and one warning for a rollback", () => {
    const templates = path.join(dir, "templates");
    fs.mkdirSync(templates);
    fs.writeFileSync(path.join(templates, "rollback.md"), "{{versoin}}\n");
    const c = config({ slackWebhookUrl: SECRET_URL, templatesDir: templates });
    assert.throws(() => notifierFor(c, rolloutFiles("s", dir), { strict: true }), (e: Error) => e instanceof UsageError && /^notifications: .*rollback\.md: unknown placeholder \{\{versoin\}\} \(allowed: \{\{stack\}\}, \{\{version\}\}/.test(e.message));
    const written = silently(() => assert.ok(notifierFor(c, rolloutFiles("s", dir), { strict: false })));
    assert.equal(written.length, 1);
    assert.match(written[0], /^warning: notifications use the built-in templates: .*unknown placeholder \{\{versoin\}\}/);
    assert.ok(!written[0].includes("s3cr3t"));
  });

  it("eventSink composes the postmortem and the notifier: both run, after the event is in the history", () => {
    const files = rolloutFiles("s", dir);
    const seen: string[] = [];
    const fake = { afterEmit: (e: { type: string }) => void seen.push(`${e.type} (history has ${fs.readFileSync(files.history, "utf8").trim().split("\n").length})`) };
    const sink = eventSink(files, true, fake as never);
    const events = automaticRollback();
    silently(() => events.forEach((e) => sink.emit(e)));
    assert.deepEqual(seen, events.map((e, i) => `${e.type} (history has ${i + 1})`));
    assert.equal(fs.readdirSync(files.postmortems).length, 1);
  });

  it("a hook that throws does not stop the next one", () => {
    const errs: string[] = [];
    const ran: string[] = [];
    const sink = new EventSink({ write: () => undefined, writeErr: (l) => errs.push(l), afterEmit: [() => { throw new Error("disk full"); }, (e) => void ran.push(e.type)] });
    sink.emit(automaticRollback()[0]);
    assert.deepEqual(ran, ["started"]);
    assert.deepEqual(errs, ["warning: after the started event: disk full"]);
  });

  it("the rollback's fast path reads the config through the engine only when the stack file sets notifications", () => {
    fs.mkdirSync(path.join(dir, "stacks"));
    const file = (name: string, text: string) => fs.writeFileSync(path.join(dir, "stacks", `Pulumi.${name}.yaml`), text);
    file("plain", "config:\n  deployment-runbook:blue.version: v1.0.0\n  deployment-runbook:notificationsX: 1\n");
    file("nested", "config:\n  deployment-runbook:notifications:\n    webhookUrl:\n      secure: v1:abc\n");
    file("flat", "config:\n  deployment-runbook:notifications.onCall: '@ana'\n");
    assert.deepEqual(["plain", "nested", "flat", "missing"].map((s) => mayNotify(s, dir)), [false, true, true, true]);
  });

  it("a stuck lock: a rollout's lock whose process is gone (a freeze never is)", () => {
    const holder = stuckLock().holder;
    assert.equal(stuckRolloutLock(holder, () => false), true);
    assert.equal(stuckRolloutLock(holder, () => true), false);
    assert.equal(stuckRolloutLock({ ...holder, kind: "freeze" }, () => false), false);
    assert.equal(stuckRolloutLock(undefined, () => false), false);
  });
});
