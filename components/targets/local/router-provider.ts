// Runs in the dynamic provider process: one nginx per service and stack, run by supervisord, with
// two resources writing its two files. "backends" (nginx.conf: upstreams, the color header, the
// server) is applied before the health gates, so a gate can reach a color that has no weight yet;
// "weights" (weights.conf) after them. Every change is validated with `nginx -t` on the new file
// before it replaces the live file, applied with a graceful reload (old workers finish their
// requests), and confirmed by reading the new generation back from the router itself (that nginx
// work is router-apply.ts, which does not load Pulumi).
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { Supervisor } from "./supervisor";
import { routerProgram } from "./names";
import { trafficProblem } from "../../types";
import { RouterInputs, applyBackends, applyWeights, dirOf } from "./router-apply";

export type { RouterInputs };
export { applyWeights };

/* eslint-disable @typescript-eslint/no-explicit-any */
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
