// The router's nginx work, without Pulumi: one nginx per service and stack, run by supervisord,
// with two files. "backends" (nginx.conf: upstreams, the color header, the server) and "weights"
// (weights.conf). Every change is validated with `nginx -t` on the new file before it replaces the
// live file, applied with a graceful reload (old workers finish their requests), and confirmed by
// reading the new generation back from the router itself. Used by the dynamic provider
// (router-provider.ts) and by the emergency path of `npm run rollback` (traffic-switch.ts), which
// must switch before anything loads @pulumi/pulumi.
import { execFile } from "child_process";
import * as http from "http";
import { randomUUID } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import { Supervisor } from "./supervisor";
import { routerProgram } from "./names";
import { tail, waitFor } from "./wait";
import { MAINTENANCE_OFF, NO_WEIGHTS, renderNginxConfig, renderWeights } from "./nginx-config";

const run = promisify(execFile);
const NGINX = process.env.RUNBOOK_NGINX ?? "/usr/sbin/nginx";

/* eslint-disable @typescript-eslint/no-explicit-any */
export interface RouterInputs {
  stack: string;
  service: string;
  port: number;
  upstreams: { blue?: number[]; green?: number[] };
  nginxDir: string;
  supervisorConfig: string;
  traffic?: { blue: number; green: number };
  /** Set while the router serves the maintenance page (weights step only). */
  maintenance?: { retryAfterSeconds: number; message: string };
}

export const dirOf = (s: RouterInputs) => path.join(s.nginxDir, routerProgram(s.stack, s.service));

async function nginxTest(dir: string, mainFile: string): Promise<void> {
  try {
    await run(NGINX, ["-t", "-q", "-p", `${dir}/`, "-c", mainFile]);
  } catch (e: any) {
    throw new Error(`nginx rejected the new router config; the running router keeps its current config:\n${String(e.stderr || e.message).trim()}`);
  }
}

/**
 * GET the router's status page as JSON (node's http, not axios: `npm run rollback` loads this
 * module before it switches, and every module costs start-up time there).
 */
function routerStatus(port: number): Promise<{ status: number; data: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/__runbook/router", timeout: 2000, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => {
        let data: unknown = body;
        try {
          data = JSON.parse(body);
        } catch {
          // not JSON: `accept` sees the text and refuses it
        }
        resolve({ status: res.statusCode ?? 0, data });
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
  });
}

/** Reads /__runbook/router until `accept` approves what the running nginx reports. */
async function confirm(s: RouterInputs, what: string, accept: (status: any) => boolean): Promise<void> {
  await waitFor(
    `router ${routerProgram(s.stack, s.service)} did not apply ${what} on 127.0.0.1:${s.port}`,
    15,
    async () => {
      const r = await routerStatus(s.port);
      return r.status === 200 && accept(r.data) ? true : undefined;
    },
    async () => `nginx error log: ${tail(path.join(dirOf(s), "error.log"), 3, "(none)")}`,
    100,
  );
}


async function reloadOrStart(s: RouterInputs): Promise<void> {
  const dir = dirOf(s);
  const live = path.join(dir, "nginx.conf");
  const sup = new Supervisor(s.supervisorConfig);
  const program = routerProgram(s.stack, s.service);
  await sup.ensureProgram(program, {
    command: NGINX,
    args: ["-p", `${dir}/`, "-c", live, "-g", "daemon off;"],
    env: {},
    stopsignal: "QUIT", // graceful: finish in-flight requests before exiting
    stopwaitsecs: 20,
  });
  const st = await sup.status(program);
  if (st.state === "RUNNING") {
    await run(NGINX, ["-p", `${dir}/`, "-c", live, "-s", "reload"]);
  } else if (st.state !== "STARTING") {
    await sup.start(program);
  }
}

export async function applyBackends(s: RouterInputs): Promise<any> {
  const dir = dirOf(s);
  for (const t of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) fs.mkdirSync(path.join(dir, "tmp", t), { recursive: true });
  const weightsFile = path.join(dir, "weights.conf");
  if (!fs.existsSync(weightsFile)) fs.writeFileSync(weightsFile, NO_WEIGHTS);
  // A weights file written before maintenance mode existed lacks the variables the main config now
  // reads; maintenance is off there.
  else if (!fs.readFileSync(weightsFile, "utf8").includes("$runbook_maintenance ")) fs.appendFileSync(weightsFile, MAINTENANCE_OFF);
  const generation = randomUUID();
  const next = path.join(dir, "nginx.conf.next");
  fs.writeFileSync(next, renderNginxConfig({ port: s.port, upstreams: s.upstreams, directory: dir, generation }));
  await nginxTest(dir, next);
  fs.renameSync(next, path.join(dir, "nginx.conf"));
  await reloadOrStart(s);
  await confirm(s, `backends generation ${generation}`, (st) => st?.backends === generation);
  return { ...s, generation };
}

/**
 * Writes the split, tests it, reloads nginx and confirms the new generation. The provider's update;
 * also the emergency path of `npm run rollback` (traffic-switch.ts), which must not wait for an `up`.
 */
export async function applyWeights(s: RouterInputs): Promise<any> {
  const dir = dirOf(s);
  const generation = randomUUID();
  const next = path.join(dir, "weights.conf.next");
  fs.writeFileSync(next, renderWeights(s.traffic!, s.upstreams, generation, s.maintenance));
  // Test the whole config with the new weights file in place of the live one.
  const live = path.join(dir, "nginx.conf");
  const testMain = path.join(dir, "nginx.test.conf");
  fs.writeFileSync(testMain, fs.readFileSync(live, "utf8").replace(`include ${dir}/weights.conf;`, `include ${next};`));
  await nginxTest(dir, testMain);
  fs.renameSync(next, path.join(dir, "weights.conf"));
  await run(NGINX, ["-p", `${dir}/`, "-c", live, "-s", "reload"]);
  await confirm(s, `weights generation ${generation}`, (st) => st?.weights?.generation === generation);
  return { ...s, generation };
}
