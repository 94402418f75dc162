import { strict as assert } from "assert";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { rangeQueries } from "../../components/dashboard/metrics-range";
import { Dashboard, actionCommand, startDashboard } from "../../components/dashboard/server";
import { listStacks } from "../../components/dashboard/stack-view";

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

describe("dashboard server", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dash-unit-"));
  const project = "deployment-runbook";
  const stacksDir = path.join(dir, "backend", ".pulumi", "stacks", project);
  fs.mkdirSync(stacksDir, { recursive: true });
  fs.mkdirSync(path.join(dir, "static"));
  fs.writeFileSync(path.join(dir, "static", "index.html"), "<p>page</p>");
  fs.writeFileSync(path.join(dir, "secret.txt"), "outside");
  // A checkpoint with outputs only: enough for the stack list and the traffic.
  const checkpoint = { checkpoint: { latest: { resources: [{ type: "pulumi:pulumi:Stack", urn: "u", outputs: { traffic: { blue: 90, green: 10 }, versions: { blue: "v1.0.0", green: "v2.0.0" } } }] } } };
  fs.writeFileSync(path.join(stacksDir, "prod.json"), JSON.stringify(checkpoint));
  fs.writeFileSync(path.join(stacksDir, "prod.json.bak"), "{}");
  const loc = { root: dir, project, backendUrl: `file://${path.join(dir, "backend")}`, stateRoot: path.join(dir, "state"), localPrometheusUrl: "http://127.0.0.1:1" };
  const calls: string[][] = [];
  let readOnly: Dashboard;
  let withActions: Dashboard;
  before(async () => {
    const runCli = async (command: string, args: string[]) => {
      calls.push([command, ...args]);
      return { code: 0, stdout: "done\n", stderr: "" };
    };
    readOnly = await startDashboard({ loc, port: 0, actions: false, staticDir: path.join(dir, "static"), runCli });
    withActions = await startDashboard({ loc, port: 0, actions: true, staticDir: path.join(dir, "static"), runCli });
  });
  after(async () => {
    await readOnly.close();
    await withActions.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("lists the stacks with a checkpoint (backups left out) and reads their traffic without the engine", async () => {
    assert.deepEqual(listStacks(loc), ["prod"]);
    const r = await request("GET", `${readOnly.url}/api/state`);
    const state = JSON.parse(r.body) as { actions: boolean; stacks: { name: string; traffic: unknown; colors: { version?: string; weight: number }[] }[] };
    assert.equal(state.actions, false);
    assert.deepEqual(state.stacks.map((s) => [s.name, s.traffic]), [["prod", { blue: 90, green: 10 }]]);
    assert.deepEqual(state.stacks[0].colors.map((c) => [c.version, c.weight]), [["v1.0.0", 90], ["v2.0.0", 10]]);
  });

  it("read-only: every request that is not a GET or HEAD is refused, and nothing runs", async () => {
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      const r = await request(method, `${readOnly.url}/api/actions`, JSON.stringify({ stack: "prod", action: "rollback" }), { "content-type": "application/json" });
      assert.equal(r.status, 403, method);
      assert.match(r.body, /read-only: start it with --actions/);
    }
    assert.deepEqual(calls, []);
  });

  it("with actions: runs exactly the CLI command; bad input names the allowed values and runs nothing", async () => {
    const post = (body: unknown, headers: Record<string, string> = { "content-type": "application/json" }) => request("POST", `${withActions.url}/api/actions`, JSON.stringify(body), headers);
    let r = await post({ stack: "prod", action: "reboot" });
    assert.equal(r.status, 400);
    assert.match(r.body, /action \\"reboot\\" is not allowed \(allowed: pause, resume, promote, abort, rollback\)/);
    r = await post({ stack: "nope", action: "pause" });
    assert.equal(r.status, 400);
    assert.match(r.body, /allowed: prod/);
    r = await post({ stack: "prod", action: "pause" }, { "content-type": "application/json", origin: "http://evil.example" });
    assert.equal(r.status, 403);
    r = await post({ stack: "prod", action: "pause" }, { "content-type": "text/plain" });
    assert.equal(r.status, 415);
    assert.deepEqual(calls, []);
    r = await post({ stack: "prod", action: "rollback" });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(calls, [["rollback", "--env", "prod", "--take-over"]]);
    assert.match(JSON.parse(r.body).command, /^npm run rollback -- --env prod --take-over$/);
    assert.deepEqual(actionCommand("promote", "prod"), { command: "rollout", args: ["promote", "--env", "prod"] });
  });

  it("serves only files of the built folder", async () => {
    assert.equal((await request("GET", `${readOnly.url}/`)).body, "<p>page</p>");
    assert.equal((await request("GET", `${readOnly.url}/..%2fsecret.txt`)).status, 404);
    assert.equal((await request("GET", `${readOnly.url}/api/postmortem?stack=prod&id=..%2f..%2fsecret`)).status, 404);
  });

  it("pushes the state as a server-sent event", async () => {
    const first = await new Promise<string>((resolve, reject) => {
      http.get(`${readOnly.url}/api/events`, (res) => {
        res.once("data", (d: Buffer) => {
          resolve(d.toString());
          res.destroy();
        });
      }).on("error", reject);
    });
    assert.match(first, /^event: state\ndata: \{.*"name":"prod"/s);
  });

  it("charts by color with a gap, not 0%, where a color had no traffic", () => {
    const q = rangeQueries("prod", "app", "green");
    assert.match(q.rps, /stack="prod",service="app",color="green"/);
    assert.match(q.errorRatePercent, /> 0\)$/);
    assert.match(q.p95Ms, /histogram_quantile\(0\.95/);
  });
});
