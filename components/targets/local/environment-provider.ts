// Runs in the dynamic provider process: keeps one color's instances running under supervisord.
// A version or env change replaces instances one at a time, each ready before the next (the
// runbook's rolling strategy), so the router always has a healthy instance to send traffic to.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { replicasProblem } from "../../types";
import { Supervisor } from "./supervisor";
import { instancePort, instanceProgram } from "./names";
import { probeHttp, StopWaiting, tail, waitFor } from "./wait";

/* eslint-disable @typescript-eslint/no-explicit-any */
export interface LocalEnvironmentState {
  stack: string;
  service: string;
  color: string;
  version: string;
  replicas: number;
  basePort: number;
  /** Absolute path of the compiled sample service entry point. */
  entry: string;
  env: Record<string, string>;
  databaseUrl?: string;
  redisUrl?: string;
  workMs: number;
  startTimeoutSeconds: number;
  /**
   * Wait for /readyz (a serving color) or only for the process to answer (an idle color). Absent
   * in state written before the field existed, which always waited for /readyz.
   */
  waitForReady?: boolean;
  supervisorConfig: string;
  logsDir: string;
  prometheusTargetsDir: string;
  ports?: number[];
}

function ports(s: LocalEnvironmentState): number[] {
  return Array.from({ length: s.replicas }, (_, i) => instancePort(s.basePort, s.color, i));
}

function programSpec(s: LocalEnvironmentState, index: number, port: number) {
  const env: Record<string, string> = {
    ...s.env,
    PORT: String(port),
    HOST: "127.0.0.1",
    RUNBOOK_VERSION: s.version,
    RUNBOOK_COLOR: s.color,
    RUNBOOK_INSTANCE: String(index),
    SERVICE_WORK_MS: s.env.SERVICE_WORK_MS ?? String(s.workMs),
  };
  if (s.databaseUrl && !("DATABASE_URL" in s.env)) env.DATABASE_URL = s.databaseUrl;
  if (s.redisUrl && !("REDIS_URL" in s.env)) env.REDIS_URL = s.redisUrl;
  return {
    command: process.execPath,
    args: [s.entry],
    env,
    directory: path.dirname(s.entry),
    stdoutLog: path.join(s.logsDir, `${instanceProgram(s.stack, s.service, s.color, index)}.log`),
    stopwaitsecs: 15,
    startsecs: 1,
  };
}


async function waitReady(sup: Supervisor, s: LocalEnvironmentState, index: number, port: number): Promise<void> {
  const program = instanceProgram(s.stack, s.service, s.color, index);
  await waitFor(
    `${s.color} ${s.version} instance ${index} (127.0.0.1:${port}) did not become ${s.waitForReady === false ? "reachable" : "ready"}`,
    s.startTimeoutSeconds,
    async () => {
      const st = await sup.status(program);
      if (st.state === "FATAL" || st.state === "BACKOFF" || st.state === "EXITED") {
        // Crashing at start is final: say so at once instead of waiting out the timeout.
        throw new StopWaiting(
          `${s.color} ${s.version} instance ${index} (127.0.0.1:${port}) keeps exiting at start (supervisor state ${st.state}); last log lines: ${tail(programSpec(s, index, port).stdoutLog, 5)}`,
        );
      }
      const r = await probeHttp(`http://127.0.0.1:${port}/readyz`);
      if (r.headers["x-runbook-version"] !== s.version) return undefined;
      return r.status === 200 || s.waitForReady === false ? true : undefined;
    },
    async () => {
      const st = await sup.status(program).catch(() => ({ state: "UNKNOWN" }));
      return `supervisor state ${st.state}; last log lines: ${tail(programSpec(s, index, port).stdoutLog, 5)}`;
    },
  );
}

function writeScrapeTargets(s: LocalEnvironmentState): void {
  fs.mkdirSync(s.prometheusTargetsDir, { recursive: true });
  const file = path.join(s.prometheusTargetsDir, `${instanceProgram(s.stack, s.service, s.color, 0).replace(/-0$/, "")}.json`);
  const body = [{ targets: ports(s).map((p) => `127.0.0.1:${p}`), labels: { stack: s.stack, service: s.service, color: s.color } }];
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(body));
  fs.renameSync(`${file}.tmp`, file);
}

function removeScrapeTargets(s: LocalEnvironmentState): void {
  fs.rmSync(path.join(s.prometheusTargetsDir, `${instanceProgram(s.stack, s.service, s.color, 0).replace(/-0$/, "")}.json`), { force: true });
}

async function converge(s: LocalEnvironmentState, previousReplicas: number): Promise<LocalEnvironmentState> {
  const sup = new Supervisor(s.supervisorConfig);
  const ps = ports(s);
  for (let i = 0; i < ps.length; i++) {
    await sup.ensureProgram(instanceProgram(s.stack, s.service, s.color, i), programSpec(s, i, ps[i]));
    await waitReady(sup, s, i, ps[i]);
  }
  for (let i = ps.length; i < previousReplicas; i++) {
    await sup.removeProgram(instanceProgram(s.stack, s.service, s.color, i));
  }
  writeScrapeTargets(s);
  return { ...s, ports: ps };
}

const SECRET_FREE = (s: any) => {
  const { __provider: _p, ports: _ports, ...rest } = s;
  return rest;
};

export const localEnvironmentProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const replicas = replicasProblem(news.replicas);
    if (replicas) failures.push({ property: "replicas", reason: replicas });
    if (!fs.existsSync(news.entry)) {
      failures.push({ property: "entry", reason: `service entry point ${news.entry} does not exist: run npm run build` });
    }
    return { inputs: news, failures };
  },
  async diff(_id, olds, news) {
    const changes = JSON.stringify(SECRET_FREE(olds)) !== JSON.stringify(SECRET_FREE(news));
    // Another stack, service or color is another set of processes: replace, creating the new first.
    const replaces = ["stack", "service", "color"].filter((k) => olds[k] !== news[k]);
    return { changes, replaces, deleteBeforeReplace: false };
  },
  async create(inputs) {
    const outs = await converge(inputs as LocalEnvironmentState, 0);
    return { id: instanceProgram(outs.stack, outs.service, outs.color, 0).replace(/-0$/, ""), outs };
  },
  async update(_id, olds, news) {
    // Same program names on new ports or a new release: converge replaces them one at a time.
    return { outs: await converge(news as LocalEnvironmentState, olds.replicas) };
  },
  async delete(_id, props) {
    const s = props as LocalEnvironmentState;
    const sup = new Supervisor(s.supervisorConfig);
    for (let i = 0; i < s.replicas; i++) await sup.removeProgram(instanceProgram(s.stack, s.service, s.color, i));
    removeScrapeTargets(s);
  },
};
