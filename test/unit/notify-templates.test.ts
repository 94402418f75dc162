// Which events notify with which template, and every field of each template: built from the
// events (and the stack's history) alone, overridable by template files, with unknown
// placeholders refused by name. Pure, no receiver (notify-delivery.test.ts has those).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ACTION_ITEMS, NoticeEvent, ON_CALL_UNSET, notificationFor, templateFor } from "../../components/notify/notifier";
import { BUILT_IN, TEMPLATE_FIELDS, TEMPLATE_NAMES, TemplateError, checkTemplate, loadTemplates, placeholders, render } from "../../components/notify/templates";
import type { RolloutEvent } from "../../components/rollout/events";
import { automaticRollback, completedRollout, failedStep, fullConfig, manualRollback, started, stuckLock } from "./helpers/notify-fixtures";

const ctx = (history: readonly unknown[] = []) => {
  const c = fullConfig();
  return { onCall: c.onCall, dashboardUrl: c.dashboardUrl, incidentUrl: c.incidentUrl, history };
};
const lastOf = (events: RolloutEvent[]) => events[events.length - 1];
const ofType = (events: RolloutEvent[], type: RolloutEvent["type"]) => events.find((e) => e.type === type)!;

/** Every field of the template is set, and each value is in the text. */
function assertAllFields(e: NoticeEvent, history: readonly unknown[]) {
  const n = notificationFor(e, ctx(history))!;
  assert.ok(n, `${e.type} does not notify`);
  assert.deepEqual(Object.keys(n.fields), [...TEMPLATE_FIELDS[n.template]], `${n.template}: fields missing or out of order`);
  for (const [name, value] of Object.entries(n.fields)) assert.ok(n.text.includes(value), `${n.template}: {{${name}}} = ${JSON.stringify(value)} is not in the text:\n${n.text}`);
  return n;
}

describe("notify: templates and fields", function () {
  this.timeout(60_000);

  it("every built-in template uses its fields only, and all of them", () => {
    // For template files: the rollback's built-in says both versions in {{version}} ("v2 → v1"), and
    // the one-line notice's summary already holds the version (the time is on every message).
    const onlyForFiles: Record<string, string[]> = { rollback: ["fromVersion", "toVersion"], "rollout-event": ["version", "time", "event", "dashboardUrl"] };
    for (const name of TEMPLATE_NAMES) {
      checkTemplate(name, BUILT_IN[name]);
      assert.deepEqual([...placeholders(BUILT_IN[name])].sort(), TEMPLATE_FIELDS[name].filter((f) => !onlyForFiles[name]?.includes(f)).sort(), name);
    }
  });

  it("failures first: each kind of event has its template; passing and inconclusive windows do not notify", () => {
    const events = [...automaticRollback(), ...failedStep(), ...completedRollout()];
    const pass = events.find((e) => e.type === "analysis" && e.verdict === "pass")!;
    const cases: [NoticeEvent, string | undefined][] = [
      [ofType(failedStep(), "failed"), "promotion-stopped"],
      [ofType(automaticRollback(), "aborted"), "rollout-aborted"],
      [lastOf(automaticRollback()), "rollback"],
      [stuckLock(), "stuck-lock"],
      [started(), "deployment-starting"],
      [lastOf(completedRollout()), "deployment-complete"],
      [ofType(automaticRollback(), "step-applied"), "rollout-event"],
      [ofType(automaticRollback(), "paused"), "rollout-event"],
      [ofType(completedRollout(), "promoted"), "rollout-event"],
      [automaticRollback().find((e) => e.type === "analysis" && e.verdict === "breach")!, "rollout-event"],
      [{ ...started(), type: "resumed", step: 2, by: "resume" }, "rollout-event"],
      [{ ...started(), type: "interrupted", step: 1, traffic: { blue: 90, green: 10 }, resume: "npm run rollout -- resume --env prod", rollback: "npm run rollback -- --env prod" }, "rollout-event"],
      [pass, undefined],
      [{ ...(pass as Extract<RolloutEvent, { type: "analysis" }>), verdict: "inconclusive", reason: "only 3 requests" }, undefined],
    ];
    for (const [e, template] of cases) assert.equal(templateFor(e), template, `${e.type}`);
    for (const [e, template] of cases) assert.equal(notificationFor(e, ctx())?.failure ?? false, ["promotion-stopped", "rollout-aborted", "rollback", "stuck-lock"].includes(template ?? ""), e.type);
  });

  it("deployment starting: version, time, duration, impact, changes, rollback plan, on-call, dashboard", () => {
    const n = assertAllFields(started(), []);
    assert.match(n.text, /^🚀 \*\*Deployment Starting: prod\*\*/);
    assert.equal(n.fields.version, "v2.0.0");
    assert.equal(n.fields.time, "2026-12-02 06:10:00 UTC");
    assert.equal(n.fields.duration, "~40m (2 pauses of 5m, bake 30m), plus one up per step");
    assert.match(n.fields.impact, /^No expected downtime: green takes 10% of requests first/);
    assert.equal(n.fields.changes, "- Feature: new user dashboard\n- Fix: payment processing bug");
    assert.match(n.fields.rollbackPlan, /^Blue-green switch to blue v1\.0\.0 \(instant\)/);
    assert.equal(n.fields.onCall, "@ana");
    assert.match(n.text, /Monitoring dashboard: \[https:\/\/grafana\.example\.com\/d\/prod\]\(https:\/\/grafana\.example\.com\/d\/prod\)/);
  });

  it("deployment complete: status, duration, health checks and the last window's metrics from the history", () => {
    const events = completedRollout();
    const n = assertAllFields(lastOf(events), events);
    assert.match(n.text, /^✅ \*\*Deployment Complete: prod\*\*/);
    assert.equal(n.fields.status, "Successful");
    assert.equal(n.fields.duration, "43m");
    assert.equal(n.fields.healthChecks, "All passing ✓ (the gate before each of 3 steps; 3 of 3 analysis windows passed)");
    assert.match(n.fields.metrics, /^Within normal range: canary green v2\.0\.0: 0\.10% errors .*; baseline blue v1\.0\.0: 0\.14% errors/);
    assert.equal(n.fields.nextCheck, "T+30 minutes");
  });

  it("rollback: the reason with the metric, value, limit and baseline; versions, status, timings, action items, links", () => {
    const events = automaticRollback();
    const n = assertAllFields(lastOf(events), events);
    assert.match(n.text, /^⚠️ \*\*Deployment Rolled Back: prod\*\*/);
    assert.equal(n.fields.version, "v2.0.0 → v1.0.0");
    assert.equal(n.fields.reason, "error-rate: error rate 6.25% > 1.00% limit (green v2.0.0: 5 of 80 requests)");
    assert.deepEqual([n.fields.metric, n.fields.value, n.fields.limit], ["error-rate", "6.25%", "1.00%"]);
    assert.equal(n.fields.baseline, "blue v1.0.0: 0.14% errors (1 of 733 requests), p95 8.2 ms");
    assert.equal(n.fields.canary, "green v2.0.0: 6.25% errors (5 of 80 requests), p95 11.4 ms");
    assert.equal(n.fields.decidedBy, "the live analysis (automatic rollback)");
    assert.equal(n.fields.status, "System stable on v1.0.0 (blue serves 100%)");
    assert.equal(n.fields.duration, "router switched in 412 ms, converged in 4.3 s");
    assert.equal(n.fields.traffic, "blue 90% / green 10% → blue 100% / green 0%");
    assert.equal(n.fields.actionItems, ACTION_ITEMS.map((a) => `- [ ] ${a}`).join("\n"));
    assert.equal(n.fields.postmortem, "npm run postmortem -- --env prod --id 20261202T061136Z-5d1f0c7a");
    assert.match(n.text, /Incident report: \[https:\/\/incidents\.example\.com\/new\?service=app\]/);
  });

  it("a manual rollback has no trigger: those lines are left out, the versions come from what served before", () => {
    const n = notificationFor(manualRollback(), { history: [] })!;
    assert.equal(n.fields.version, "v2.0.0 → v1.0.0");
    assert.equal(n.fields.decidedBy, "a person (npm run rollback)");
    for (const absent of ["metric", "value", "limit", "baseline", "canary", "incidentUrl", "dashboardUrl"]) assert.equal(n.fields[absent], undefined, absent);
    assert.doesNotMatch(n.text, /Trigger|Baseline|Incident report|Monitoring dashboard|\{\{/);
    assert.equal(n.fields.onCall, ON_CALL_UNSET);
    assert.match(n.text, /\*\*On-Call\*\*: not set \(notifications\.onCall\)/);
  });

  it("a failed step (a gate stopped the promotion) and the abort each say what happens to traffic", () => {
    const failed = failedStep();
    const stop = assertAllFields(ofType(failed, "failed"), failed);
    assert.equal(stop.fields.step, "2");
    assert.match(stop.fields.reason, /health gate green: api \/healthz answered 503/);
    assert.equal(stop.fields.traffic, "rolling back what earlier steps moved: blue v1.0.0 takes 100% again");
    const first = notificationFor({ ...ofType(failed, "failed"), step: 0, reason: "deploying v2.0.0 to green failed" } as RolloutEvent, ctx([failed[0]]))!;
    assert.equal(first.fields.traffic, "unchanged: nothing took traffic yet (blue v1.0.0 serves 100%)");

    const events = automaticRollback();
    const abort = assertAllFields(ofType(events, "aborted"), events);
    assert.equal(abort.fields.by, "analysis");
    assert.deepEqual([abort.fields.metric, abort.fields.value, abort.fields.limit], ["error-rate", "6.25%", "1.00%"]);
    assert.equal(abort.fields.next, "rolling back to blue v1.0.0 now (a rollback notification follows)");
  });

  it("a stuck lock names the holder, since when, and how to resolve it", () => {
    const n = assertAllFields(stuckLock(), []);
    assert.match(n.text, /^🔒 \*\*Stuck Rollout Lock: prod\*\*/);
    assert.equal(n.fields.holder, "ana@build-7");
    assert.equal(n.fields.pid, "4242");
    assert.match(n.fields.resolve, /npm run rollback -- --env prod --take-over/);
  });

  it("other events are one short line", () => {
    const n = notificationFor(ofType(automaticRollback(), "step-applied"), ctx())!;
    assert.equal(n.text, "ℹ️ **prod**: step 1/3 applied: blue 90% / green 10% (up 41.2 s)");
    assert.equal(n.fields.event, "step-applied");
  });

  it("render leaves out a line whose field is not set, and no run of blank lines", () => {
    assert.equal(render("a {{x}}\n\nlink {{url}}\n\nb {{y}}", { x: "1", y: "2" }), "a 1\n\nb 2");
  });

  describe("template files (notifications.templatesDir)", () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "notify-templates-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("a file with a template's name replaces that template; the others stay built-in", () => {
      fs.writeFileSync(path.join(dir, "rollback.md"), "ROLLBACK {{version}} because {{reason}} ({{metric}} {{value}} > {{limit}}); on call {{ onCall }}\n");
      fs.writeFileSync(path.join(dir, "notes.txt"), "not a template: other extensions are ignored");
      const templates = loadTemplates(dir);
      assert.equal(templates["deployment-starting"], BUILT_IN["deployment-starting"]);
      const events = automaticRollback();
      const n = notificationFor(lastOf(events), ctx(events), templates)!;
      assert.equal(n.text, "ROLLBACK v2.0.0 → v1.0.0 because error-rate: error rate 6.25% > 1.00% limit (green v2.0.0: 5 of 80 requests) (error-rate 6.25% > 1.00%); on call @ana");
    });

    it("an unknown placeholder is an error naming it, the file and the allowed ones", () => {
      fs.writeFileSync(path.join(dir, "deployment-complete.md"), "Done: {{versoin}} in {{duration}} {{env}}\n");
      assert.throws(
        () => loadTemplates(dir),
        (e: Error) => {
          assert.ok(e instanceof TemplateError);
          assert.equal(e.message, `${path.join(dir, "deployment-complete.md")}: unknown placeholders {{versoin}}, {{env}} (allowed: ${TEMPLATE_FIELDS["deployment-complete"].map((f) => `{{${f}}}`).join(", ")})`);
          return true;
        },
      );
    });

    it("a .md file that is no template's name is an error listing the names", () => {
      fs.writeFileSync(path.join(dir, "rolback.md"), "{{version}}\n");
      assert.throws(() => loadTemplates(dir), new RegExp(`rolback\\.md: not a template name \\(allowed: deployment-starting\\.md, deployment-complete\\.md, rollback\\.md,`));
    });

    it("a folder that cannot be read is an error naming the key", () => {
      assert.throws(() => loadTemplates(path.join(dir, "missing")), /notifications\.templatesDir ".*missing" cannot be read \(ENOENT\)$/);
    });
  });
});
