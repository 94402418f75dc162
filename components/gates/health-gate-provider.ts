// Runs in the dynamic provider process: the health gate. Create and update run the checks (never
// during preview: the engine only calls check and diff then) and fail the update, with every check
// listed, when any does not pass; the router's traffic depend on the gate, so traffic stays put.
import * as pulumi from "@pulumi/pulumi";
import { allPassed, formatResults, runChecks } from "./run-checks";
import { GateSubject } from "./checks/types";
import { gateFailure } from "./gate-failure";

/* eslint-disable @typescript-eslint/no-explicit-any */
const comparable = (s: any) => {
  const { __provider: _p, result: _r, checkedAt: _c, ...rest } = s;
  return JSON.stringify(rest);
};

async function gate(inputs: any): Promise<any> {
  if (!inputs.run) {
    return { ...inputs, result: `not run: ${inputs.reason}`, checkedAt: new Date().toISOString() };
  }
  const subject: GateSubject = {
    stack: inputs.stack,
    service: inputs.service,
    routerUrl: inputs.routerUrl,
    routerHost: inputs.routerHost ?? undefined,
    color: inputs.color,
    version: inputs.version,
    baseline: inputs.baseline ?? undefined,
    databaseUrl: inputs.databaseUrl,
    redisUrl: inputs.redisUrl,
    metrics: inputs.metrics,
    hostDiskPath: inputs.hostDiskPath ?? undefined,
    replicas: inputs.replicas ?? undefined,
    config: inputs.config,
  };
  const started = Date.now();
  const results = await runChecks(subject);
  const report = formatResults(results);
  if (!allPassed(results)) throw gateFailure(inputs, (Date.now() - started) / 1000, report);
  return { ...inputs, result: `passed in ${((Date.now() - started) / 1000).toFixed(1)}s:\n${report}`, checkedAt: new Date().toISOString() };
}

export const healthGateProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id, olds, news) {
    return { changes: comparable(olds) !== comparable(news), replaces: olds.color !== news.color ? ["color"] : [], deleteBeforeReplace: false };
  },
  async create(inputs) {
    return { id: `${inputs.stack}-${inputs.service}-${inputs.color}-gate`, outs: await gate(inputs) };
  },
  async update(_id, _olds, news) {
    return { outs: await gate(news) };
  },
};
