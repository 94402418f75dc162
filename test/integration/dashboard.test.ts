// The dashboard end to end: `npm run dashboard` (read-only, and a second one with --actions) over a
// real rollout on the local target, driven in headless Chromium (Debian's, through playwright-core).
// The weights bar follows 10 -> 50 -> 100, the error-rate chart shows a bad release's spike, the
// automatic rollback and its postmortem appear in the history, a read-only server refuses every
// write, and a rollback from the page is one click plus a confirmation. Each state's screenshot is
// kept under test-artifacts/dashboard/.
import { strict as assert } from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { Browser, Page, chromium } from "playwright-core";
import { startLoad } from "../../scripts/load";
import { ROOT, RunResult, smallLocalStack, ThrowawayStack } from "./harness";
import { POLICY_ENV } from "./policy-clock";

const ROUTER_PORT = 19700;
const BASE_PORT = 24200;
const URL = `http://127.0.0.1:${ROUTER_PORT}/`;
const READ_ONLY_PORT = 18991;
const ACTIONS_PORT = 18992;
const ARTIFACTS = path.join(ROOT, "test-artifacts", "dashboard");
const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** A request's status and body (any method), without following anything. */
function request(method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("dashboard: npm run dashboard in headless Chromium over a real rollout (local target)", function () {
  this.timeout(900_000);
  let stack: ThrowawayStack;
  let browser: Browser;
  const servers: ChildProcess[] = [];

  /** Starts `npm run dashboard -- --port <p> [--actions]` for the stack and waits for its address. */
  function dashboard(port: number, actions: boolean): Promise<string> {
    const child = spawn(process.execPath, [path.join(ROOT, "scripts", "run-built.js"), "dashboard", "--port", String(port), ...(actions ? ["--actions"] : [])], {
      cwd: ROOT,
      env: stack.wrapperEnv(POLICY_ENV),
      stdio: ["ignore", "pipe", "pipe"],
    });
    servers.push(child);
    return new Promise((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (d) => {
        out += d;
        const m = /dashboard: (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.stderr!.on("data", (d) => (out += d));
      child.on("exit", (code) => reject(new Error(`npm run dashboard exited ${code}:\n${out}`)));
    });
  }

  const cli = (command: string, args: string[], onStart?: (pid: number) => void): Promise<RunResult> =>
    stack.node("run-built.js", [command, ...args, "--env", stack.name], POLICY_ENV, { onStart });

  async function openPage(base: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1500 } });
    await page.goto(`${base}/?stack=${encodeURIComponent(stack.name)}`);
    await page.waitForSelector('[data-testid="stack"]', { timeout: 30_000 });
    return page;
  }

  /** Waits until the page's weights bar gives green `pct` percent. */
  const weightsAt = (page: Page, pct: string, timeout: number) => page.locator(`[data-testid="weights"][data-green="${pct}"]`).waitFor({ state: "attached", timeout });
  const greenWeight = (page: Page) => page.getAttribute('[data-testid="weights"]', "data-green");
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  before(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    stack = await ThrowawayStack.create("dash", {
      ...smallLocalStack(ROUTER_PORT, BASE_PORT),
      // The gates' latency check is not under test here (noise on a shared 2-core machine).
      "gates.analysis.maxLatencyIncreasePercent": 100,
      "rollout.pause": "4s",
      "rollout.bake": "4s",
      "rollout.analysis.intervalSeconds": 1,
      "rollout.analysis.windowSeconds": 4,
      "rollout.analysis.minRequests": 50,
      "rollout.analysis.floorRps": 10,
    });
    const up = await stack.apply(POLICY_ENV);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS });
  });

  after(async () => {
    await browser?.close();
    for (const s of servers) s.kill("SIGTERM");
    if (stack) await stack.cleanup();
  });

  it("read-only: the page offers no action and the server refuses every write request", async () => {
    const base = await dashboard(READ_ONLY_PORT, false);
    const page = await openPage(base);
    assert.match((await page.textContent('[data-testid="connection"]')) ?? "", /read-only/);
    assert.equal(await page.locator("[data-action]").count(), 0);
    assert.equal(await page.locator('[data-testid="actions"]').count(), 0);
    const body = JSON.stringify({ stack: stack.name, action: "rollback" });
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      const r = await request(method, `${base}/api/actions`, body, { "content-type": "application/json" });
      assert.equal(r.status, 403, `${method} was not refused: ${r.status} ${r.body}`);
      assert.match(r.body, /read-only: start it with --actions/);
    }
    assert.deepEqual((await stack.outputs()).traffic, { blue: 100, green: 0 }, "a refused write moved traffic");
    await page.close();
  });

  it("a good release: the weights bar follows 10 -> 50 -> 100 as the rollout runs", async () => {
    const page = await openPage(`http://127.0.0.1:${READ_ONLY_PORT}`);
    const load = startLoad(URL, { concurrency: 4, perWorkerRps: 40 });
    const deploy = cli("deploy", ["--version", "v2.0.0", "--yes"]);
    try {
      for (const pct of ["10", "50", "100"]) {
        await weightsAt(page, pct, 240_000);
        assert.equal(await greenWeight(page), pct);
        await shot(page, `1-weights-green-${pct}`);
      }
    } finally {
      const r = await deploy;
      await load.stop();
      assert.equal(r.code, 0, r.stdout + r.stderr);
    }
    await page.locator('[data-testid="phase"]', { hasText: /^completed$/ }).waitFor({ timeout: 60_000 });
    assert.match((await page.textContent('[data-testid="color-blue"]')) ?? "", /rollback target/);
    assert.match((await page.textContent('[data-testid="gates"]')) ?? "", /green/);
    await page.close();
  });

  it("a release that goes bad: the error-rate chart shows the spike, and the rollback and its postmortem appear in the history", async () => {
    const page = await openPage(`http://127.0.0.1:${READ_ONLY_PORT}`);
    await stack.setConfig("blue.env.FAULT_ERROR_RATE_PERCENT", 40);
    await stack.setConfig("blue.env.FAULT_AFTER_REQUESTS", 200);
    const load = startLoad(URL, { concurrency: 4, perWorkerRps: 40 });
    let r: RunResult;
    try {
      r = await cli("deploy", ["--version", "v3.0.0", "--pause", "60s", "--yes"]);
    } finally {
      await load.stop();
      await stack.removeConfig("blue.env.FAULT_ERROR_RATE_PERCENT");
      await stack.removeConfig("blue.env.FAULT_AFTER_REQUESTS");
    }
    assert.equal(r.code, 1, r.stdout + r.stderr);
    // The chart's own summary of what it draws: blue (the canary) far above the 1% limit.
    await page.waitForFunction(`Number(document.querySelector('[data-testid="peak-error"]')?.getAttribute("data-blue") || 0) > 1`, undefined, { timeout: 60_000, polling: 500 });
    const peak = Number(await page.getAttribute('[data-testid="peak-error"]', "data-blue"));
    assert.ok(peak > 1, `the error-rate chart's peak for blue is ${peak}%`);
    await page.waitForSelector('[data-testid="history"] tr[data-type="rolled-back"]', { timeout: 30_000 });
    assert.equal(await greenWeight(page), "100");
    await shot(page, "2-error-spike-and-rollback");
    await page.click('[data-testid="postmortem-link"]', { timeout: 30_000 });
    await page.waitForSelector('[data-testid="postmortem"]');
    const text = (await page.textContent('[data-testid="postmortem"]')) ?? "";
    assert.match(text, /What went wrong\?/);
    assert.match(text, /error-rate/);
    await shot(page, "3-postmortem");
    await page.close();
  });

  it("with --actions: a rollback is one click plus a confirmation, running npm run rollback", async () => {
    const base = await dashboard(ACTIONS_PORT, true);
    const page = await openPage(base);
    let exited: RunResult | undefined;
    let pid = 0;
    const deploy = cli("deploy", ["--version", "v4.0.0", "--pause", "manual", "--yes"], (p) => (pid = p)).then((r) => (exited = r));
    try {
      await weightsAt(page, "90", 240_000);
      await shot(page, "4-actions-canary-at-10");
      let asked = "";
      page.once("dialog", (d) => {
        asked = d.message();
        void d.accept();
      });
      await page.click('[data-action="rollback"]');
      await page.waitForSelector('[data-testid="action-result"]', { timeout: 300_000 });
      assert.match(asked, new RegExp(`Run npm run rollback -- --env ${stack.name} --take-over\\?`));
      assert.match((await page.textContent('[data-testid="action-result"]')) ?? "", /exit 0[\s\S]*rolled back to green/);
      await weightsAt(page, "100", 60_000);
      await shot(page, "5-rolled-back-from-the-page");
    } finally {
      // A failure above must not leave the deploy waiting for `promote` forever.
      if (!exited && pid) process.kill(pid, "SIGTERM");
      await deploy;
    }
    assert.notEqual(exited?.code, 0, "the deploy taken over by the rollback must not report success");
    assert.deepEqual((await stack.outputs()).traffic, { blue: 0, green: 100 });
    await page.close();
  });
});
