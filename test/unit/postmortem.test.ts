// The postmortem of a rollback: rendered from the rollout's events, written through the event sink
// after the rolled-back event is in the history, listed newest first, and shown by its command.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EventSink, RolloutEvent } from "../../components/rollout/events";
import { appendLine, readJsonLines, rolloutFiles } from "../../components/rollout/files";
import { QUESTIONS, RolledBack, TO_BE_ANSWERED, eventsOfRollback, postmortemId, renderPostmortem } from "../../components/rollout/postmortem";
import { listPostmortems, postmortemHook, readPostmortem } from "../../components/rollout/postmortem-files";
import { UsageError } from "../../scripts/cli-args";
import { parsePostmortemArgs, runPostmortem } from "../../scripts/postmortem-command";

const ID = "7f3c2a91-5b4e-4c1d-9a8e-0d6f1b2c3e4f";
const base = (at: string) => ({ at, stack: "prod", version: "v2.0.0", rolloutId: ID });
const canary = { color: "green", version: "v2.0.0", requests: 80, errors: 5, errorRatePercent: 6.25, p95LatencyMs: 11.4 };
const baseline = { color: "blue", version: "v1.0.0", requests: 733, errors: 1, errorRatePercent: 0.136, p95LatencyMs: 8.2 };
const trigger = { metric: "error-rate" as const, value: 6.25, limit: 1, unit: "%" as const, hard: true, message: "error rate 6.25% > 1.00% limit (green v2.0.0: 5 of 80 requests)" };

/** An automatic rollback during the 10% pause, as the controller records it. */
function automatic(): RolloutEvent[] {
  return [
    { ...base("2026-12-02T06:10:00.000Z"), type: "started", canary: "green", stable: { color: "blue", version: "v1.0.0" }, steps: [10, 50, 100], pause: "5m", bake: "30m", command: "npm run deploy -- --env prod --version v2.0.0" },
    { ...base("2026-12-02T06:11:12.345Z"), type: "step-applied", step: 1, of: 3, traffic: { blue: 90, green: 10 }, upMs: 41_200 },
    { ...base("2026-12-02T06:11:12.400Z"), type: "paused", reason: "timed", step: 1, detail: "for 5m", durationMs: 300_000 },
    { ...base("2026-12-02T06:11:22.500Z"), type: "analysis", phase: "pause", step: 1, verdict: "pass", canary: { ...canary, errors: 0, errorRatePercent: 0 }, baseline, triggers: [], notes: [] },
    { ...base("2026-12-02T06:11:32.600Z"), type: "analysis", phase: "pause", step: 1, verdict: "breach", canary, baseline, triggers: [trigger], notes: ["floor traffic 5 rps per color"] },
    { ...base("2026-12-02T06:11:32.610Z"), type: "aborted", step: 1, by: "analysis", reason: `error-rate: ${trigger.message}`, trigger },
    { ...base("2026-12-02T06:11:36.900Z"), type: "rolled-back", to: { color: "blue", version: "v1.0.0" }, traffic: { blue: 100, green: 0 }, routerMs: 412, convergeMs: 4290, reason: `error-rate: ${trigger.message}` },
  ];
}
const lastOf = (events: RolloutEvent[]) => events[events.length - 1] as RolledBack;

describe("postmortem: rendered from the rollout's events", function () {
  this.timeout(60_000);
  const events = automatic();
  const md = renderPostmortem({ rollback: lastOf(events), events });

  it("names stack, version and time in the title", () => {
    assert.match(md.split("\n")[1], /^# Postmortem: prod v2\.0\.0 rolled back to blue v1\.0\.0 \(2026-12-02T06:11:36\.900Z\)$/);
  });
  it("says what was rolled back, from and to, why, and the trigger's metric, value, limit and unit", () => {
    assert.match(md, /\*\*Rolled back\*\*: green v2\.0\.0 → blue v1\.0\.0 in stack prod/);
    assert.match(md, /\*\*Traffic\*\*: blue 90% \/ green 10% → blue 100% \/ green 0%/);
    assert.match(md, /\*\*Why\*\*: error-rate: error rate 6\.25% > 1\.00% limit/);
    assert.match(md, /\*\*Decided by\*\*: the live analysis \(automatic rollback\)/);
    assert.match(md, /\*\*Trigger\*\*: `error-rate` 6\.25% > limit 1\.00% \(hard/);
  });
  it("shows canary and baseline figures of the last analysis, not an earlier one", () => {
    assert.match(md, /Last analysis: 2026-12-02T06:11:32\.600Z, pause at step 1, verdict \*\*breach\*\*/);
    assert.match(md, /\| canary \| green \| v2\.0\.0 \| 80 \| 5 \| 6\.25% \| 11\.4 ms \|/);
    assert.match(md, /\| baseline \| blue \| v1\.0\.0 \| 733 \| 1 \| 0\.14% \| 8\.2 ms \|/);
  });
  it("lists every event of the rollout in the timeline with its ISO timestamp", () => {
    const timeline = md.slice(md.indexOf("## Timeline"), md.indexOf("## Versions"));
    for (const e of events) assert.match(timeline, new RegExp(`\\| ${e.at.replace(/\./g, "\\.")} \\| ${e.type} \\|`), `${e.type} at ${e.at}`);
    assert.match(timeline, /\| step-applied \| 1\/3 \| blue 90% \/ green 10% \| up 41\.2 s \|/);
  });
  it("has versions and weights before and after, and the rollback timings", () => {
    assert.match(md, /\| blue \| v1\.0\.0 \| 90% \| v1\.0\.0 \| 100% \|/);
    assert.match(md, /\| green \| v2\.0\.0 \| 10% \| v2\.0\.0 \| 0% \|/);
    assert.match(md, /routerMs\): 412 ms/);
    assert.match(md, /convergeMs\): 4290 ms \(4\.3 s\)/);
    assert.match(md, /Decision \(aborted at 2026-12-02T06:11:32\.610Z\) to rollback recorded \(2026-12-02T06:11:36\.900Z\): 4290 ms/);
  });
  it("says no gate output was recorded, and that the step's gate passed", () => {
    assert.match(md, /No gate output recorded/);
    assert.match(md, /The health gate passed before each applied step: step 1 \(blue 90% \/ green 10%\)/);
  });
  it("asks the runbook's three questions, then action items with suggestions from the trigger", () => {
    for (const q of QUESTIONS) assert.ok(md.includes(`## ${q}\n\n${TO_BE_ANSWERED}\n`), q);
    const actions = md.slice(md.indexOf("## Action items"));
    assert.match(actions, /- \[ \] <action> \(owner, due\)/);
    assert.match(actions, /- \[ \] Add a test covering the failing path \(6\.25% against 1\.00% allowed\) \(owner, due\)/);
    assert.match(actions, /- \[ \] Add an alert on the error rate of stack prod/);
    assert.doesNotMatch(actions, /performance test/);
  });
  it("a gate failure's report is the gate output", () => {
    const failed: RolloutEvent[] = [
      ...events.slice(0, 4),
      { ...base("2026-12-02T06:12:00.000Z"), type: "failed", step: 2, reason: "step 2 (green 50%) failed: health gate for green v2.0.0 failed after 3.1s:\n✗ api: /healthz 503" },
      { ...base("2026-12-02T06:12:05.000Z"), type: "rolled-back", to: { color: "blue", version: "v1.0.0" }, traffic: { blue: 100, green: 0 }, convergeMs: 5000, reason: "step 2 (green 50%) failed" },
    ];
    const text = renderPostmortem({ rollback: lastOf(failed), events: failed });
    assert.match(text, /Step 2 failed at 2026-12-02T06:12:00\.000Z:\n\n```\nstep 2 \(green 50%\) failed: health gate for green v2\.0\.0 failed after 3\.1s:\n✗ api: \/healthz 503\n```/);
    assert.doesNotMatch(text, /No gate output recorded/);
    assert.match(text, /\*\*Decided by\*\*: a failed step/);
    assert.match(text, /not switched directly/);
  });
});

describe("postmortem: a manual rollback outside any rollout", function () {
  this.timeout(60_000);
  const e: RolledBack = {
    type: "rolled-back", at: "2026-12-03T09:00:01.000Z", stack: "prod", version: "v1.0.0", rolloutId: "0a1b2c3d-ffff", to: { color: "blue", version: "v1.0.0" },
    traffic: { blue: 100, green: 0 }, routerMs: 380, convergeMs: 3900, reason: "npm run rollback", before: { traffic: { blue: 0, green: 100 }, versions: { blue: "v1.0.0", green: "v2.0.0" } },
  };
  // Another rollout's events are in the history too: they do not belong to this postmortem.
  const history = [...automatic(), e];
  const events = eventsOfRollback(history, e);
  const md = renderPostmortem({ rollback: e, events });

  it("covers only its own event", () => {
    assert.deepEqual(events, [e]);
    assert.match(md, /\| 2026-12-03T09:00:01\.000Z \| rolled-back \|/);
    assert.doesNotMatch(md, /2026-12-02T06:1/);
  });
  it("reads from and before from the event, and says what is not there", () => {
    assert.match(md, /# Postmortem: prod v2\.0\.0 rolled back to blue v1\.0\.0/);
    assert.match(md, /\*\*Traffic\*\*: blue 0% \/ green 100% → blue 100% \/ green 0%/);
    assert.match(md, /\*\*Decided by\*\*: a person/);
    assert.match(md, /none recorded under 0a1b2c3d-ffff/);
    assert.match(md, /No analysis window was recorded/);
    assert.match(md, /No gate output recorded/);
    assert.doesNotMatch(md, /Trigger/);
    assert.match(md, /- \[ \] Make the signal that prompted this manual rollback an alert or a rollback trigger \(owner, due\)/);
    for (const q of QUESTIONS) assert.ok(md.includes(`## ${q}`));
  });
  it("after a completed rollout with the same id, takes that rollout's events along", () => {
    const done = automatic().slice(0, 2);
    done.push({ ...base("2026-12-02T07:00:00.000Z"), type: "completed", canary: "green", stable: { color: "blue", version: "v1.0.0" }, durationMs: 3_000_000 });
    const later = { ...e, rolloutId: ID };
    const got = eventsOfRollback([...done, later], later);
    assert.deepEqual(got.map((x) => x.type), ["started", "step-applied", "completed", "rolled-back"]);
  });
  it("ids: compact UTC time and the rollout id's first 8 characters", () => {
    assert.equal(postmortemId(e), "20261203T090001Z-0a1b2c3d");
    assert.equal(postmortemId(lastOf(automatic())), "20261202T061136Z-7f3c2a91");
  });
});

describe("postmortem: written through the event sink, listed, shown", function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "runbook-postmortem-unit-"));
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  function sink(root: string, errs: string[]) {
    const files = rolloutFiles("prod", root);
    let historyAtHook = -1;
    const hook = postmortemHook(files);
    const s = new EventSink({
      historyFile: files.history,
      append: appendLine,
      write: () => undefined,
      writeErr: (l) => errs.push(l),
      afterEmit: (e) => {
        historyAtHook = readJsonLines(files.history).length;
        return hook(e);
      },
    });
    return { s, files, historyAtHook: () => historyAtHook };
  }

  it("every rolled-back event writes one, after the event is in the history", () => {
    const root = tmp();
    const errs: string[] = [];
    const { s, files, historyAtHook } = sink(root, errs);
    const events = automatic();
    for (const e of events.slice(0, -1)) s.emit(e);
    assert.deepEqual(listPostmortems("prod", root), [], "no postmortem before a rollback");
    s.emit(lastOf(events));
    assert.equal(historyAtHook(), events.length, "the hook saw the rolled-back line in the history");
    const list = listPostmortems("prod", root);
    assert.deepEqual(list.map((p) => ({ ...p, file: path.relative(files.postmortems, p.file) })), [
      { id: "20261202T061136Z-7f3c2a91", file: "20261202T061136Z-7f3c2a91.md", at: "2026-12-02T06:11:36.900Z", version: "v2.0.0", reason: `error-rate: ${trigger.message}` },
    ]);
    const md = readPostmortem("prod", list[0].id, root)!;
    assert.match(md, /\*\*Trigger\*\*: `error-rate`/);
    for (const e of events) assert.ok(md.includes(`| ${e.at} | ${e.type} |`), e.at);
    assert.match(md, new RegExp(`events: ${files.history.replace(/[.\\/]/g, "\\$&")}`));
    assert.deepEqual(errs, [`postmortem written: ${list[0].file} (npm run postmortem -- --env prod)`]);
  });
  it("lists newest first", () => {
    const root = tmp();
    const { s } = sink(root, []);
    const first = lastOf(automatic());
    s.emit(first);
    s.emit({ ...first, at: "2026-12-05T10:00:00.000Z", rolloutId: "bbbbbbbb-1", reason: "npm run rollback" });
    s.emit({ ...first, at: "2026-12-04T10:00:00.000Z", rolloutId: "cccccccc-1" });
    assert.deepEqual(listPostmortems("prod", root).map((p) => p.id), ["20261205T100000Z-bbbbbbbb", "20261204T100000Z-cccccccc", "20261202T061136Z-7f3c2a91"]);
    assert.equal(listPostmortems("prod", root)[0].reason, "npm run rollback");
    assert.deepEqual(listPostmortems("other", root), []);
  });
  it("a failing writer never throws out of emit: one line on stderr, the event still recorded", () => {
    const root = tmp();
    const errs: string[] = [];
    const { s, files } = sink(root, errs);
    // A file where the postmortems folder should be: the write fails.
    fs.mkdirSync(files.dir, { recursive: true });
    fs.writeFileSync(files.postmortems, "not a folder");
    const e = lastOf(automatic());
    assert.doesNotThrow(() => s.emit(e));
    assert.equal(errs.length, 1);
    assert.match(errs[0], /^warning: after the rolled-back event: postmortem not written: [^\n]+$/);
    assert.deepEqual(readJsonLines(files.history), [e]);
    assert.deepEqual(s.events, [e]);
  });
  it("a hook that throws anything is swallowed, and other events pass it untouched", () => {
    const errs: string[] = [];
    const s = new EventSink({ write: () => undefined, writeErr: (l) => errs.push(l), afterEmit: () => { throw new Error("disk full\nsecond line"); } });
    assert.doesNotThrow(() => s.emit(lastOf(automatic())));
    assert.deepEqual(errs, ["warning: after the rolled-back event: disk full second line"]);
  });
  it("a bad history still gives a postmortem of the event itself", () => {
    const root = tmp();
    const files = rolloutFiles("prod", root);
    fs.mkdirSync(files.dir, { recursive: true });
    fs.writeFileSync(files.history, 'null\n42\n{"torn":\n');
    const e = lastOf(automatic());
    const note = postmortemHook(files)(e);
    assert.match(note ?? "", /postmortem written/);
    assert.match(readPostmortem("prod", postmortemId(e), root)!, /\| 2026-12-02T06:11:36\.900Z \| rolled-back \|/);
  });

  it("the command: --last by default, --id, --list", () => {
    const root = tmp();
    const { s } = sink(root, []);
    const first = lastOf(automatic());
    s.emit(first);
    s.emit({ ...first, at: "2026-12-05T10:00:00.000Z", rolloutId: "bbbbbbbb-1", reason: "npm run rollback" });
    const out: string[] = [];
    assert.equal(runPostmortem(["--env", "prod"], (t) => out.push(t), root), 0);
    assert.match(out[0], /\(2026-12-05T10:00:00\.000Z\)\n/);
    assert.equal(runPostmortem(["--env", "prod", "--id", "20261202T061136Z-7f3c2a91"], (t) => out.push(t), root), 0);
    assert.match(out[1], /\(2026-12-02T06:11:36\.900Z\)\n/);
    assert.equal(runPostmortem(["--env", "prod", "--list"], (t) => out.push(t), root), 0);
    assert.equal(out[2], "20261205T100000Z-bbbbbbbb  2026-12-05T10:00:00.000Z  v2.0.0  npm run rollback\n20261202T061136Z-7f3c2a91  2026-12-02T06:11:36.900Z  v2.0.0  error-rate: error rate 6.25% > 1.00% limit (green v2.0.0: 5 of 80 requests)\n");
    assert.throws(() => runPostmortem(["--env", "prod", "--id", "20261201T000000Z-deadbeef"], () => undefined, root), (e: Error) => e instanceof UsageError && /--id "20261201T000000Z-deadbeef" is not a postmortem of stack prod \(allowed values: 20261205T100000Z-bbbbbbbb, 20261202T061136Z-7f3c2a91\)/.test(e.message));
  });
  it("the command with no postmortem yet: --last refused saying so, --list empty", () => {
    const root = tmp();
    assert.throws(() => runPostmortem(["--env", "prod"], () => undefined, root), (e: Error) => e instanceof UsageError && /stack prod has no postmortem yet/.test(e.message));
    const out: string[] = [];
    assert.equal(runPostmortem(["--env", "prod", "--list"], (t) => out.push(t), root), 0);
    assert.deepEqual(out, ["prod: no postmortems yet (every rollback writes one)\n"]);
  });
});

describe("postmortem: the command's flags", function () {
  this.timeout(60_000);
  const refused = (argv: string[], message: RegExp) => assert.throws(() => parsePostmortemArgs(argv), (e: Error) => e instanceof UsageError && message.test(e.message));
  it("parses --last (the default), --id and --list", () => {
    assert.deepEqual(parsePostmortemArgs(["--env", "prod"]), { stack: "prod", show: "last" });
    assert.deepEqual(parsePostmortemArgs(["--env", "prod", "--last"]), { stack: "prod", show: "last" });
    assert.deepEqual(parsePostmortemArgs(["--env", "prod", "--list"]), { stack: "prod", show: "list" });
    assert.deepEqual(parsePostmortemArgs(["--id", "20261202T061136Z-7f3c2a91", "--env", "prod"]), { stack: "prod", show: "id", id: "20261202T061136Z-7f3c2a91" });
  });
  it("refuses bad input naming the flag and what is allowed", () => {
    refused([], /--env is required\nusage: npm run postmortem -- --env <stack> \[--last \| --id <id> \| --list\]/);
    refused(["--env", "../etc"], /--env "\.\.\/etc" is not a stack name/);
    refused(["--env", "prod", "--last", "--list"], /--last and --list do not go together \(allowed: one of --last, --id <id>, --list\)/);
    refused(["--env", "prod", "--id", "../../x"], /--id "\.\.\/\.\.\/x" is not a postmortem id \(<UTC time>-<rollout id prefix>, e\.g\. 20261202T061500Z-1a2b3c4d\)/);
    refused(["--env", "prod", "--newest"], /Unknown option '--newest'.*\(allowed flags: --env, --last, --id, --list\)/s);
  });
});
