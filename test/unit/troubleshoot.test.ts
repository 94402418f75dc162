// The troubleshooting commands' parts that need no running stack: reading the local target's log
// files (rotation, lines without a time), kubectl's prefixed lines, the error distribution, the pool
// gauge, and the flags.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parsePoolGauge, formatSessions } from "../../components/troubleshoot/db-sessions";
import { errorDistribution, formatErrorDistribution } from "../../components/troubleshoot/error-distribution";
import { parseKubectlLine, podSelector } from "../../components/targets/kubernetes/service-logs";
import { LocalServiceLogs, instanceLogFiles, linesOf } from "../../components/targets/local/service-logs";
import { byTime, jsonLineTime } from "../../components/targets/service-logs";
import { UsageError } from "../../scripts/cli-args";
import { parseTroubleshootArgs } from "../../scripts/troubleshoot-args";

const at = (iso: string) => Date.parse(iso);
const line = (o: Record<string, unknown>) => JSON.stringify(o);
const failed = (time: string, color: string, reason = "injected fault", detail = "FAULT_ERROR_RATE_PERCENT=5") =>
  line({ time, level: "ERROR", event: "request-failed", version: color === "green" ? "v2.0.0" : "v1.0.0", color, status: 500, reason, detail });

describe("service logs: the local target's files", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "rb-logs-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("finds each instance's file and its rotated ones (oldest first), of the stack and colors asked only", () => {
    for (const f of ["rb-s-app-green-0.log", "rb-s-app-green-0.log.1", "rb-s-app-green-0.log.2", "rb-s-app-green-1.log", "rb-s-app-blue-0.log", "rb-s-app-router.log", "rb-s2-app-green-0.log", "rb-s-app-green-x.log"]) {
      fs.writeFileSync(path.join(dir, f), "");
    }
    const files = instanceLogFiles(dir, "s", "app", ["green"]);
    assert.deepEqual([...files.keys()], ["rb-s-app-green-0", "rb-s-app-green-1"]);
    assert.deepEqual(files.get("rb-s-app-green-0")!.map((f) => path.basename(f)), ["rb-s-app-green-0.log.2", "rb-s-app-green-0.log.1", "rb-s-app-green-0.log"]);
    assert.deepEqual([...instanceLogFiles(dir, "s", "app", ["blue", "green"]).keys()].sort(), ["rb-s-app-blue-0", "rb-s-app-green-0", "rb-s-app-green-1"]);
    assert.equal(instanceLogFiles(path.join(dir, "nope"), "s", "app", ["blue"]).size, 0);
  });

  it("a line without its own time (a stack trace) takes the time of the line before it", () => {
    const { lines, last } = linesOf("p", `${line({ time: "2026-12-02T10:00:00.000Z", event: "start" })}\nTypeError: x\n    at y\n\n`);
    assert.deepEqual(lines.map((l) => l.time), [at("2026-12-02T10:00:00.000Z"), at("2026-12-02T10:00:00.000Z"), at("2026-12-02T10:00:00.000Z")]);
    assert.equal(last, at("2026-12-02T10:00:00.000Z"));
    assert.equal(linesOf("p", "no time at all\n").lines[0].time, undefined);
  });

  it("read merges the instances by time and --since keeps only recent lines", async () => {
    const now = Date.now();
    const iso = (agoMs: number) => new Date(now - agoMs).toISOString();
    fs.writeFileSync(path.join(dir, "rb-s-app-green-0.log.1"), `${line({ time: iso(3_600_000), event: "start" })}\n`);
    fs.writeFileSync(path.join(dir, "rb-s-app-green-0.log"), `${line({ time: iso(30_000), event: "a" })}\n${line({ time: iso(10_000), event: "c" })}\n`);
    fs.writeFileSync(path.join(dir, "rb-s-app-green-1.log"), `${line({ time: iso(20_000), event: "b" })}\nwarning: untimed\n`);
    const logs = new LocalServiceLogs("s", "app", dir);
    const all = await logs.read({ colors: ["green"] });
    assert.deepEqual(all.map((l) => (l.text.startsWith("{") ? JSON.parse(l.text).event : l.text)), ["start", "a", "b", "warning: untimed", "c"]);
    const recent = await logs.read({ colors: ["green"], sinceMs: 60_000 });
    assert.deepEqual(recent.map((l) => l.source), ["rb-s-app-green-0", "rb-s-app-green-1", "rb-s-app-green-1", "rb-s-app-green-0"]);
  });

  it("follow prints only what is appended, whole lines, and starts over on a rotated file", async () => {
    const file = path.join(dir, "rb-s-app-blue-0.log");
    fs.writeFileSync(file, "old line\n");
    const seen: string[] = [];
    const stop = new AbortController();
    const done = new LocalServiceLogs("s", "app", dir).follow({ colors: ["blue"] }, (l) => seen.push(l.text), stop.signal);
    const until = async (n: number) => {
      for (let i = 0; i < 400 && seen.length < n; i++) await new Promise((r) => setTimeout(r, 25));
    };
    await new Promise((r) => setTimeout(r, 300));
    fs.appendFileSync(file, "new 1\nhalf");
    await until(1);
    fs.appendFileSync(file, " done\n");
    await until(2);
    fs.writeFileSync(file, "after rotation\n"); // shorter than before: supervisord rotated it
    await until(3);
    stop.abort();
    await done;
    assert.deepEqual(seen, ["new 1", "half done", "after rotation"]);
  });

  it("jsonLineTime and byTime", () => {
    assert.equal(jsonLineTime('{"time":"2026-12-02T10:00:00Z"}'), at("2026-12-02T10:00:00Z"));
    assert.equal(jsonLineTime('{"time":"soon"}'), undefined);
    assert.equal(jsonLineTime("{not json"), undefined);
    assert.deepEqual(byTime([{ source: "a", text: "2", time: 2 }, { source: "b", text: "1", time: 1 }, { source: "c", text: "2b", time: 2 }]).map((l) => l.text), ["1", "2", "2b"]);
  });
});

describe("service logs: kubectl's lines", () => {
  it("parses the pod, the service's own time, and kubectl's time for a line without one", () => {
    const json = failed("2026-12-02T10:00:01.000Z", "green");
    assert.deepEqual(parseKubectlLine(`[pod/app-green-5d8f-abcde/app] 2026-12-02T10:00:01.500000000Z ${json}`), { source: "app-green-5d8f-abcde", text: json, time: at("2026-12-02T10:00:01.000Z") });
    assert.deepEqual(parseKubectlLine("[pod/app-blue-1/app] 2026-12-02T10:00:02.000000000Z plain text"), { source: "app-blue-1", text: "plain text", time: at("2026-12-02T10:00:02.000Z") });
    assert.equal(parseKubectlLine(""), undefined);
    assert.equal(parseKubectlLine("error: no pods"), undefined);
  });

  it("selects the stack's pods of the colors asked", () => {
    assert.equal(podSelector("app", "prod", ["green"]), "app=app,deployment-runbook/stack=prod,color=green");
    assert.equal(podSelector("app", "prod", ["blue", "green"]), "app=app,deployment-runbook/stack=prod,color in (blue,green)");
  });
});

describe("error distribution (grep ERROR | uniq -c | sort -nr)", () => {
  const lines = [
    ...Array.from({ length: 5 }, (_, i) => ({ source: "g0", text: failed(`2026-12-02T10:00:0${i}.000Z`, "green") })),
    ...Array.from({ length: 3 }, () => ({ source: "g1", text: failed("2026-12-02T10:00:09.000Z", "green") })),
    { source: "b0", text: failed("2026-12-02T10:00:05.000Z", "blue", "database unavailable", "connect ECONNREFUSED 127.0.0.1:5432") },
    { source: "b0", text: line({ time: "2026-12-02T10:00:06.000Z", level: "ERROR", event: "database-error", color: "blue", version: "v1.0.0", error: "terminating connection" }) },
    { source: "b0", text: line({ time: "2026-12-02T10:00:06.000Z", level: "INFO", event: "ready", color: "blue" }) },
    { source: "b0", text: "ERROR something unstructured" },
    { source: "b0", text: "a line that is fine" },
  ];

  it("counts ERROR lines by reason and release, most frequent first, failed requests apart", () => {
    const d = errorDistribution(lines);
    assert.equal(d.lines, 13);
    assert.equal(d.errors, 11);
    assert.equal(d.failedRequests, 9);
    assert.deepEqual(d.groups.map((g) => [g.count, g.reason, g.color, g.status]), [
      [8, "injected fault", "green", 500],
      [1, "database unavailable", "blue", 500],
      [1, "database-error: terminating connection", "blue", undefined],
      [1, "ERROR something unstructured", undefined, undefined],
    ]);
    assert.deepEqual(d.groups[0].sources, ["g0", "g1"]);
    assert.equal(d.groups[0].firstAt, "2026-12-02T10:00:00.000Z");
    assert.equal(d.groups[0].lastAt, "2026-12-02T10:00:09.000Z");
  });

  it("prints one line per group, and says so when there is nothing", () => {
    const text = formatErrorDistribution(errorDistribution(lines));
    assert.match(text, /^11 ERROR line\(s\) in 13 log line\(s\), 9 failed request\(s\):\n {2}8  injected fault \(FAULT_ERROR_RATE_PERCENT=5\) 500  \[green v2\.0\.0\]  from g0, g1\n/);
    assert.equal(formatErrorDistribution(errorDistribution([{ source: "x", text: "ok" }])), "no ERROR lines in 1 log line(s)\n");
  });
});

describe("db:check --sessions: the pool gauge and the report", () => {
  it("reads the sample service's pool gauge, and nothing from an instance without one", () => {
    const text = '# HELP x\nrunbook_db_pool_connections{state="total"} 3\nrunbook_db_pool_connections{state="idle"} 1\nrunbook_db_pool_connections{state="waiting"} 2\nrunbook_db_pool_connections{state="max"} 5\n';
    assert.deepEqual(parsePoolGauge(text), { total: 3, idle: 1, waiting: 2, max: 5 });
    assert.equal(parsePoolGauge("process_cpu_seconds_total 1\n"), undefined);
  });

  it("groups the sessions and flags a pool with waiting clients", () => {
    const s = (pid: number, application: string, state: string) => ({ pid, database: "runbook", user: "runbook", application, client: "127.0.0.1", state, waitEvent: null, queryAgeSeconds: 1, query: "select 1" });
    const out = formatSessions([s(1, "a", "idle"), s(2, "a", "idle"), s(3, "b", "active")], [{ instance: "i0", url: "u", total: 5, idle: 0, waiting: 2, max: 5 }, { instance: "i1", url: "u", error: "connect ECONNREFUSED" }], 100);
    assert.match(out, /^3 client session\(s\) of max_connections 100, by application and state:\n {5}2 {2}a {2}idle\n {5}1 {2}b {2}active\n/);
    assert.match(out, /i0: 5 open \/ 0 idle \/ 2 waiting, max 5 {2}<- requests are waiting for a connection/);
    assert.match(out, /i1: connect ECONNREFUSED/);
  });
});

describe("troubleshooting flags", () => {
  it("defaults: both colors; errors looks back 10 minutes, logs everything", () => {
    assert.deepEqual(parseTroubleshootArgs("errors", ["--env", "prod"]), { stack: "prod", colors: ["blue", "green"], sinceMs: 600_000, follow: false, json: false });
    assert.deepEqual(parseTroubleshootArgs("logs", ["--env", "prod", "--color", "green", "--since", "90s", "--follow"]), { stack: "prod", colors: ["green"], sinceMs: 90_000, follow: true, json: false });
  });

  for (const [args, message] of [
    [["--color", "green"], /--env is required/],
    [["--env", "../etc"], /--env "\.\.\/etc" is not a stack name/],
    [["--env", "p", "--color", "red"], /--color "red" is not allowed \(allowed values: blue, green\)/],
    [["--env", "p", "--since", "0s"], /--since "0s" is not allowed/],
    [["--env", "p", "--tail", "5"], /Unknown option '--tail'.*allowed flags: --env, --color, --since, --follow/s],
  ] as [string[], RegExp][]) {
    it(`logs ${args.join(" ")}: refused`, () => {
      assert.throws(() => parseTroubleshootArgs("logs", args), (e: Error) => e instanceof UsageError && message.test(e.message));
    });
  }
});
