// The benchmark's kubernetes section, on the project's own cluster (cluster/cluster.sh): a stack of
// the kubernetes target with two pods per color behind the Gateway.
//
//   promotion   `up` of traffic.green 0 -> 10 (backup, gate, route) until the first request
//               answered by green at the Gateway
//   rollback    `up` of traffic.green 10 -> 0 until every request reaches blue at the Gateway
//   shifts      five weight changes under load through the Gateway: failed requests
//   memory      resident memory of the cluster's processes and the pods' memory cgroup
import * as fs from "fs";
import * as path from "path";
import { stateDir } from "../components/state-dir";
import { cluster, GATEWAY_URL, kubectl, kubernetesStackConfig, SECRET_KEYS } from "../scripts/cluster-stack";
import { startLoad } from "../scripts/load";
import { RunResult, ThrowawayStack } from "../test/integration/harness";
import { memoryKiB } from "./proc";
import { startProbe } from "./probe";
import { median, range, secs, sleep } from "./stats";

export interface KubernetesFigure {
  figure: string;
  value: string;
  runs: string;
  notes: string;
  samples?: number[];
}

const SHIFTS = [10, 50, 100, 50, 0];
const LOAD = { concurrency: 20, perWorkerRps: 20, maxSeconds: 1200 };

/** Resident memory of each cluster process (from its pid file), and the pods' memory cgroup, in MiB. */
function clusterMemory(): { processes: Record<string, number>; podsMiB: number } {
  const run = path.join(stateDir(), "cluster", "run");
  const processes: Record<string, number> = {};
  for (const f of fs.readdirSync(run).filter((n) => n.endsWith(".pid"))) {
    const m = memoryKiB(Number(fs.readFileSync(path.join(run, f), "utf8").trim()));
    if (m) processes[f.replace(/\.pid$/, "")] = m.rss / 1024;
  }
  let podsMiB = 0;
  try {
    podsMiB = Number(fs.readFileSync("/sys/fs/cgroup/memory/kubepods/memory.usage_in_bytes", "utf8")) / 1048576;
  } catch {
    // another cgroup layout: reported as 0
  }
  return { processes, podsMiB };
}

export async function kubernetesSection(
  runs: number,
  env: NodeJS.ProcessEnv,
  log: (msg: string) => void,
  must: (r: RunResult, what: string) => RunResult,
): Promise<{ figures: KubernetesFigure[]; raw: unknown }> {
  await cluster(["up"], { progress: true });
  await cluster(["release", "v1.0.0", "v2.0.0"]);
  const stack = await ThrowawayStack.create("kube", {}, { kind: "bench" });
  const namespace = stack.name;
  const host = `${stack.name}.runbook.test`;
  const headers = { host };
  const url = `${GATEWAY_URL}/`;
  await kubectl("create", "namespace", namespace);
  try {
    const config = { ...kubernetesStackConfig(namespace, host), "blue.version": "v1.0.0", "blue.replicas": "2", "green.replicas": "2" };
    for (const [k, v] of Object.entries(config)) await stack.setConfig(k, v, { secret: SECRET_KEYS.has(k) });
    must(await stack.up(env), "first up (blue v1.0.0)");
    await stack.setConfig("green.version", "v2.0.0");
    must(await stack.up(env), "deploying green v2.0.0 at 0%");

    const promotionMs: number[] = [];
    const rollbackMs: number[] = [];
    const rollbackCommandMs: number[] = [];
    let probeFailed = 0;
    for (let i = 0; i < runs; i++) {
      const probe = startProbe(url, 4, headers);
      await sleep(1000);
      let t0 = Date.now();
      await stack.setConfig("traffic.green", 10);
      must(await stack.up(env), "promotion to 10%");
      // The Gateway applies the new weights a moment after the API server has them.
      const seen = () => probe.events.find((e) => e.t >= t0 && e.color === "green");
      for (let waited = 0; !seen() && waited < 10_000; waited += 100) await sleep(100);
      const firstGreen = seen();
      if (!firstGreen) throw new Error("no request reached green after the promotion: nothing was measured");
      promotionMs.push(firstGreen.t - t0);
      await sleep(1500);
      t0 = Date.now();
      await stack.setConfig("traffic.green", 0);
      must(await stack.up(env), "rollback to 0%");
      const tUp = Date.now();
      await sleep(1500);
      await probe.stop();
      const lastGreen = Math.max(t0, ...probe.events.filter((e) => e.t >= t0 && e.color !== "blue").map((e) => e.t));
      rollbackMs.push(lastGreen - t0);
      rollbackCommandMs.push(tUp - t0);
      probeFailed += probe.events.filter((e) => e.color !== "blue" && e.color !== "green").length;
      log(`kubernetes run ${i + 1}/${runs}: green seen ${secs(promotionMs[i])} after the promotion's start; 100% blue ${secs(rollbackMs[i])} after the rollback's (command ${secs(rollbackCommandMs[i])})`);
    }

    const load = startLoad(url, { ...LOAD, host });
    const upMs: number[] = [];
    await sleep(2000);
    for (const pct of SHIFTS) {
      await stack.setConfig("traffic.green", pct);
      upMs.push(must(await stack.up(env), `shift to ${pct}%`).ms);
    }
    await sleep(2000);
    const report = await load.stop();
    const memory = clusterMemory();
    const processMiB = Object.values(memory.processes).reduce((a, b) => a + b, 0);
    log(`kubernetes shifts: ${report.failed} of ${report.requests} failed; cluster processes ${processMiB.toFixed(0)} MiB, pods ${memory.podsMiB.toFixed(0)} MiB`);
    const top = Object.entries(memory.processes).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(", ");
    return {
      raw: { promotionMs, rollbackMs, rollbackCommandMs, probeFailed, upMs, load: { ...report, raw: undefined }, memory },
      figures: [
        { figure: "kubernetes: promotion `up` (0 → 10%, backup + gate) until green answers at the Gateway", value: secs(median(promotionMs)), runs: `median of ${runs}`, notes: `range ${range(promotionMs)}; pg_dump backup, six-check gate (10 s analysis window), then the HTTPRoute`, samples: promotionMs },
        { figure: "kubernetes: rollback `up` (10 → 0%) until every request reaches blue at the Gateway", value: secs(median(rollbackMs)), runs: `median of ${runs}`, notes: `range ${range(rollbackMs)}; the command returns after ${secs(median(rollbackCommandMs))}; probe (4 at a time, through Traefik): ${probeFailed} failed`, samples: rollbackMs },
        { figure: "kubernetes: failed requests during weight changes under load", value: `${report.failed} of ${report.requests}`, runs: `${SHIFTS.length} shifts`, notes: `hey through the Gateway, ${LOAD.concurrency} workers × ${LOAD.perWorkerRps}/s; shifts ${SHIFTS.join(" → ")}%; median up ${secs(median(upMs))}`, samples: [report.failed] },
        { figure: "kubernetes: cluster memory (resident)", value: `${(processMiB + memory.podsMiB).toFixed(0)} MiB`, runs: "1 sample", notes: `cluster processes ${processMiB.toFixed(0)} MiB (${top}); the 4 pods' memory cgroup ${memory.podsMiB.toFixed(0)} MiB`, samples: [processMiB, memory.podsMiB] },
      ],
    };
  } finally {
    await stack.cleanup();
    await kubectl("delete", "namespace", namespace, "--wait=false").catch(() => undefined);
  }
}
