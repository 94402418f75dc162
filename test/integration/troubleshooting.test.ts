// The runbook's troubleshooting guide as commands, on a real local stack (real engine, supervisord,
// nginx, PostgreSQL): `npm run errors` counts a 5% release's failed requests by reason from the
// service's structured logs, `npm run logs` shows and follows them, `db:check --sessions` lists
// pg_stat_activity and every instance's pool.
import { strict as assert } from "assert";
import * as http from "http";
import { setTimeout as sleep } from "timers/promises";
import type { ErrorDistribution } from "../../components/troubleshoot/error-distribution";
import { instancePort, instanceProgram } from "../../components/targets/local/names";
import { SHORT_ANALYSIS, ThrowawayStack } from "./harness";
import { POLICY_ENV } from "./policy-clock";

const ROUTER_PORT = 19400;
const BASE_PORT = 25000;
const URL = `http://127.0.0.1:${ROUTER_PORT}/`;

/** GETs the router `n` times with the color header; returns how many answered 500. */
async function requestColor(color: string, n: number): Promise<{ ok: number; failed: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const counts = { ok: 0, failed: 0 };
  let next = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      http
        .get(URL, { agent, headers: { "X-Runbook-Color": color } }, (res) => {
          if (res.headers["x-runbook-color"] !== color) reject(new Error(`answered by ${res.headers["x-runbook-color"]}, not ${color}`));
          if (res.statusCode === 200) counts.ok++;
          else if (res.statusCode === 500) counts.failed++;
          else reject(new Error(`status ${res.statusCode}`));
          res.resume();
          res.on("end", resolve);
        })
        .on("error", reject);
    });
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next++ < n) await one();
  }));
  agent.destroy();
  return counts;
}

/** The sum of the sample service's own 5xx counter over `ports`. */
async function errorsCounted(ports: number[]): Promise<number> {
  let sum = 0;
  for (const port of ports) {
    const text = await new Promise<string>((resolve, reject) => {
      http.get(`http://127.0.0.1:${port}/metrics`, (res) => {
        let t = "";
        res.on("data", (d) => (t += d));
        res.on("end", () => resolve(t));
      }).on("error", reject);
    });
    for (const l of text.split("\n")) if (l.startsWith("runbook_http_request_errors_total{")) sum += Number(l.slice(l.lastIndexOf(" ") + 1));
  }
  return sum;
}

describe("troubleshooting commands on a real local stack (logs, errors, db:check --sessions)", function () {
  this.timeout(300_000);
  let stack: ThrowawayStack;
  let greenPrograms: string[];
  let sent: { ok: number; failed: number };

  before(async () => {
    stack = await ThrowawayStack.create("trouble", {
      "blue.version": "v1.0.0",
      "blue.replicas": 2,
      "green.replicas": 2,
      "local.routerPort": ROUTER_PORT,
      "local.basePort": BASE_PORT,
      ...SHORT_ANALYSIS,
    });
    greenPrograms = [0, 1].map((i) => instanceProgram(stack.name, "app", "green", i));
    const first = await stack.apply(POLICY_ENV);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    // The release under diagnosis: green at 0%, answering 5% of its requests with 500.
    await stack.setConfig("green.version", "v2.0.0");
    await stack.setConfig("green.env.FAULT_ERROR_RATE_PERCENT", 5);
    const second = await stack.apply(POLICY_ENV);
    assert.equal(second.code, 0, second.stdout + second.stderr);
    sent = await requestColor("green", 2000);
    await requestColor("blue", 500);
  });

  after(async () => {
    if (stack) await stack.cleanup();
  });

  it("npm run errors: the 5% release's failed requests, counted by reason, equal the service's own error count", async () => {
    assert.ok(sent.failed >= 40 && sent.failed <= 180, `5% of 2000 should be about 100 failed requests, got ${sent.failed}`);
    const counted = await errorsCounted([0, 1].map((i) => instancePort(BASE_PORT, "green", i)));
    assert.equal(counted, sent.failed, "the service's counter and the client disagree");

    const r = await stack.script("errors", ["--since", "10m", "--json"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const d = JSON.parse(r.stdout) as ErrorDistribution;
    assert.equal(d.failedRequests, sent.failed);
    assert.equal(d.groups.length, 1, JSON.stringify(d.groups, null, 1));
    const [g] = d.groups;
    assert.deepEqual(
      { reason: g.reason, detail: g.detail, status: g.status, color: g.color, version: g.version, count: g.count },
      { reason: "injected fault", detail: "FAULT_ERROR_RATE_PERCENT=5", status: 500, color: "green", version: "v2.0.0", count: sent.failed },
    );
    assert.ok(g.sources.every((s) => greenPrograms.includes(s)), g.sources.join(", "));

    // The runbook's `uniq -c | sort -nr` form, for people.
    const text = await stack.script("errors", []);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^\\s+${sent.failed}  injected fault \\(FAULT_ERROR_RATE_PERCENT=5\\) 500  \\[green v2\\.0\\.0\\]  from `, "m"));
    // Blue is healthy: asked for blue alone, there is nothing to count.
    const blue = await stack.script("errors", ["--color", "blue"]);
    assert.match(blue.stdout, /^no ERROR lines in \d+ log line\(s\)$/m);
  });

  it("npm run logs --color green: both green instances' lines, merged by time, and no blue line", async () => {
    const r = await stack.script("logs", ["--color", "green", "--since", "10m"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    const sources = new Set(lines.map((l) => l.split(" ")[0]));
    assert.deepEqual([...sources].sort(), [...greenPrograms].sort());
    const parsed = lines.map((l) => JSON.parse(l.slice(l.indexOf(" ") + 1)) as { time: string; event: string; level: string; color: string });
    assert.ok(parsed.every((p) => p.color === "green"));
    assert.equal(parsed.filter((p) => p.event === "request-failed" && p.level === "ERROR").length, sent.failed);
    assert.equal(parsed.filter((p) => p.event === "start").length, 2);
    const times = parsed.map((p) => Date.parse(p.time));
    assert.deepEqual(times, [...times].sort((a, b) => a - b), "lines are not in time order");
  });

  it("npm run logs --follow prints a failed request as it happens, and stops on Ctrl-C with exit 0", async () => {
    let pid: number | undefined;
    const following = stack.node("run-built.js", ["logs", "--env", stack.name, "--color", "green", "--follow"], {}, { onStart: (p) => (pid = p), timeoutMs: 120_000 });
    await sleep(2000); // node's start; lines written before it follows are not expected
    let failedNow = 0;
    for (let i = 0; i < 20 && failedNow === 0; i++) failedNow += (await requestColor("green", 100)).failed;
    assert.ok(failedNow > 0, "no error in 2000 requests to a 5% release");
    await sleep(1500); // two of the follower's polls
    process.kill(pid!, "SIGINT");
    const r = await following;
    assert.equal(r.code, 0, r.stderr);
    const failedLines = r.stdout.split("\n").filter((l) => l.includes('"event":"request-failed"'));
    assert.ok(failedLines.length >= failedNow, `followed ${failedLines.length} failed-request lines, ${failedNow} happened:\n${r.stdout.slice(-2000)}`);
    assert.ok(failedLines.every((l) => greenPrograms.includes(l.split(" ")[0])));
  });

  it("npm run db:check --sessions: pg_stat_activity by application, and each of the 4 instances' pool", async () => {
    const out = await stack.node("run-built.js", ["db", "check", "--env", stack.name, "--sessions"]);
    assert.equal(out.code, 0, out.stdout + out.stderr);
    assert.match(out.stdout, /^\d+ client session\(s\) of max_connections \d+, by application and state:$/m);
    // Each instance names itself in pg_stat_activity (application_name) and reports its pool.
    for (const [color, version] of [["blue", "v1.0.0"], ["green", "v2.0.0"]]) {
      for (const i of [0, 1]) {
        assert.match(out.stdout, new RegExp(`runbook-${color}-${i}-${version.replace(/\./g, "\\.")}`));
        assert.match(out.stdout, new RegExp(`^  ${instanceProgram(stack.name, "app", color, i)}: \\d+ open / \\d+ idle / 0 waiting, max 5$`, "m"));
      }
    }
  });

  describe("bad input: a clear error naming the flag and the allowed values", () => {
    const cases: [string, string[], RegExp][] = [
      ["logs without --env", ["logs"], /--env is required\nusage: npm run logs -- --env <stack>/],
      ["a color that is not one", ["logs", "--env", "x", "--color", "purple"], /--color "purple" is not allowed \(allowed values: blue, green\)/],
      ["a --since that is not a duration", ["errors", "--env", "x", "--since", "5 minutes"], /--since "5 minutes" is not allowed \(allowed: a duration such as 30s, 5m/],
      ["--follow on errors", ["errors", "--env", "x", "--follow"], /Unknown option '--follow'.*allowed flags: --env, --color, --since, --json/s],
      ["a stack that does not exist", ["errors", "--env", "test-trouble-nope"], /--env "test-trouble-nope": no such stack/],
    ];
    for (const [what, args, message] of cases) {
      it(what, async () => {
        const r = await stack.node("run-built.js", args);
        assert.equal(r.code, 2, r.stdout + r.stderr);
        assert.match(r.stderr, message);
      });
    }
  });
});
