// Runs in the dynamic provider process: one nginx per service and stack, run by supervisord.
// Every change is validated with `nginx -t` on a candidate file before it replaces the live config,
// then applied with a graceful reload (old workers finish their requests) and confirmed by reading
// the new generation back from the router itself.
import { execFile } from "child_process";
import { randomUUID } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import * as pulumi from "@pulumi/pulumi";
import { Supervisor } from "../local/supervisor";
import { routerProgram } from "../local/names";
import { probeHttp, waitFor } from "../local/wait";
import { NginxRouterConfig, renderNginxConfig } from "./nginx-config";

const run = promisify(execFile);
const NGINX = process.env.RUNBOOK_NGINX ?? "/usr/sbin/nginx";

/* eslint-disable @typescript-eslint/no-explicit-any */
export interface LocalRouterState {
  stack: string;
  service: string;
  port: number;
  weights: { blue: number; green: number };
  upstreams: { blue?: number[]; green?: number[] };
  nginxDir: string;
  supervisorConfig: string;
  generation?: string;
}

function routerDir(s: LocalRouterState): string {
  return path.join(s.nginxDir, routerProgram(s.stack, s.service));
}

async function nginxTest(dir: string, file: string): Promise<void> {
  try {
    await run(NGINX, ["-t", "-q", "-p", `${dir}/`, "-c", file]);
  } catch (e: any) {
    throw new Error(`nginx rejected the new router config; the running router keeps its current config:\n${(e.stderr || e.message).trim()}`);
  }
}

async function apply(s: LocalRouterState, running: boolean): Promise<LocalRouterState> {
  const dir = routerDir(s);
  for (const t of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) fs.mkdirSync(path.join(dir, "tmp", t), { recursive: true });
  const generation = randomUUID();
  const cfg: NginxRouterConfig = { port: s.port, weights: s.weights, upstreams: s.upstreams, directory: dir, generation };
  const candidate = path.join(dir, "nginx.conf.next");
  const live = path.join(dir, "nginx.conf");
  fs.writeFileSync(candidate, renderNginxConfig(cfg));
  await nginxTest(dir, candidate);
  fs.renameSync(candidate, live);

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
  if (running && st.state === "RUNNING") {
    await run(NGINX, ["-p", `${dir}/`, "-c", live, "-s", "reload"]);
  } else if (st.state !== "RUNNING" && st.state !== "STARTING") {
    await sup.start(program);
  }
  await waitFor(
    `router ${program} did not apply config generation ${generation} on 127.0.0.1:${s.port}`,
    15,
    async () => {
      const r = await probeHttp(`http://127.0.0.1:${s.port}/__runbook/router`);
      return r.status === 200 && (r.data as any)?.generation === generation ? true : undefined;
    },
    async () => `nginx error log: ${tailFile(path.join(dir, "error.log"))}`,
    100,
  );
  return { ...s, generation };
}

function tailFile(file: string): string {
  try {
    return fs.readFileSync(file, "utf8").trim().split("\n").slice(-3).join(" | ");
  } catch {
    return "(none)";
  }
}

const comparable = (s: any) => {
  const { __provider: _p, generation: _g, ...rest } = s;
  return JSON.stringify(rest);
};

export const localRouterProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const w = news.weights ?? {};
    if (!Number.isInteger(w.blue) || !Number.isInteger(w.green) || w.blue + w.green !== 100) {
      failures.push({ property: "weights", reason: `weights must be integers summing to 100 (got ${JSON.stringify(w)})` });
    }
    return { inputs: news, failures };
  },
  async diff(_id, olds, news) {
    const replaces = ["stack", "service"].filter((k) => olds[k] !== news[k]);
    return { changes: comparable(olds) !== comparable(news), replaces, deleteBeforeReplace: false };
  },
  async create(inputs) {
    const outs = await apply(inputs as LocalRouterState, false);
    return { id: routerProgram(outs.stack, outs.service), outs };
  },
  async update(_id, _olds, news) {
    return { outs: await apply(news as LocalRouterState, true) };
  },
  async delete(_id, props) {
    const s = props as LocalRouterState;
    await new Supervisor(s.supervisorConfig).removeProgram(routerProgram(s.stack, s.service));
    fs.rmSync(routerDir(s), { recursive: true, force: true });
  },
};
