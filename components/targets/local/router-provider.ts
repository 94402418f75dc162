// Runs in the dynamic provider process: one nginx per service and stack, run by supervisord, with
// two resources writing its two files. "backends" (nginx.conf: upstreams, the color header, the
// server) is applied before the health gates, so a gate can reach a color that has no weight yet;
// "weights" (weights.conf) after them. Every change is validated with `nginx -t` on the new file
// before it replaces the live file, applied with a graceful reload (old workers finish their
// requests), and confirmed by reading the new generation back from the router itself.
import { execFile } from "child_process";
import { randomUUID } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import * as pulumi from "@pulumi/pulumi";
import { Supervisor } from "./supervisor";
import { routerProgram } from "./names";
import { trafficProblem } from "../../types";
import { probeHttp, tail, waitFor } from "./wait";
import { NO_WEIGHTS, renderNginxConfig, renderWeights } from "./nginx-config";

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
}

const dirOf = (s: RouterInputs) => path.join(s.nginxDir, routerProgram(s.stack, s.service));

async function nginxTest(dir: string, mainFile: string): Promise<void> {
  try {
    await run(NGINX, ["-t", "-q", "-p", `${dir}/`, "-c", mainFile]);
  } catch (e: any) {
    throw new Error(`nginx rejected the new router config; the running router keeps its current config:\n${String(e.stderr || e.message).trim()}`);
  }
}

/** Reads /__runbook/router until `accept` approves what the running nginx reports. */
async function confirm(s: RouterInputs, what: string, accept: (status: any) => boolean): Promise<void> {
  await waitFor(
    `router ${routerProgram(s.stack, s.service)} did not apply ${what} on 127.0.0.1:${s.port}`,
    15,
    async () => {
      const r = await probeHttp(`http://127.0.0.1:${s.port}/__runbook/router`);
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

async function applyBackends(s: RouterInputs): Promise<any> {
  const dir = dirOf(s);
  for (const t of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) fs.mkdirSync(path.join(dir, "tmp", t), { recursive: true });
  const weightsFile = path.join(dir, "weights.conf");
  if (!fs.existsSync(weightsFile)) fs.writeFileSync(weightsFile, NO_WEIGHTS);
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
  fs.writeFileSync(next, renderWeights(s.traffic!, s.upstreams, generation));
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

const comparable = (s: any) => {
  const { __provider: _p, generation: _g, ...rest } = s;
  return JSON.stringify(rest);
};

function diff(olds: any, news: any) {
  const replaces = ["stack", "service"].filter((k) => olds[k] !== news[k]);
  return { changes: comparable(olds) !== comparable(news), replaces, deleteBeforeReplace: true };
}

export const localRouterBackendsProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id, olds, news) {
    return diff(olds, news);
  },
  async create(inputs) {
    const outs = await applyBackends(inputs as RouterInputs);
    return { id: `${routerProgram(outs.stack, outs.service)}-backends`, outs };
  },
  async update(_id, _olds, news) {
    return { outs: await applyBackends(news as RouterInputs) };
  },
  async delete(_id, props) {
    const s = props as RouterInputs;
    await new Supervisor(s.supervisorConfig).removeProgram(routerProgram(s.stack, s.service));
    fs.rmSync(dirOf(s), { recursive: true, force: true });
  },
};

export const localRouterWeightsProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const problem = trafficProblem(news.traffic ?? {});
    if (problem) failures.push({ property: "traffic", reason: problem });
    return { inputs: news, failures };
  },
  async diff(_id, olds, news) {
    return diff(olds, news);
  },
  async create(inputs) {
    const outs = await applyWeights(inputs as RouterInputs);
    return { id: `${routerProgram(outs.stack, outs.service)}-weights`, outs };
  },
  async update(_id, _olds, news) {
    return { outs: await applyWeights(news as RouterInputs) };
  },
  // Deleting the weights alone leaves the router serving what it has; the backends' delete stops it.
  async delete() {},
};
