// infrastructure: CPU, memory and disk of the hosts that run the color, from node_exporter as the
// target's Prometheus scrapes it (job "node"; the local target's bootstrap runs one). The runbook's
// monitoring phase asks CPU < 70% and memory < 80%; disk has no runbook figure, 90% is ours.
import * as path from "path";
import { DEFAULT_INFRASTRUCTURE, MetricQuery } from "../gate-config";
import { prometheusUrlOf } from "../prometheus-spec";
import { escapeLabelValue, instantQuery, VectorSample } from "../promql";
import { CheckResult, GateSubject } from "./types";

/** The scrape job of node_exporter in the target's Prometheus. */
export const NODE_JOB = "node";

export type InfrastructureThresholds = { [K in keyof typeof DEFAULT_INFRASTRUCTURE]: number };

/** The PromQL of each figure, as a percent per instance (host). */
export function infrastructureQueries(windowSeconds: number, mountpoint: string, job = NODE_JOB) {
  const j = `job="${escapeLabelValue(job)}"`;
  const fs = `${j},mountpoint="${escapeLabelValue(mountpoint)}"`;
  const w = `${Math.round(windowSeconds)}s`;
  return {
    // Busy share of all CPUs: non-idle seconds per second over the number of CPUs.
    cpu: `100 * sum by (instance) (rate(node_cpu_seconds_total{${j},mode!="idle"}[${w}])) / count by (instance) (node_cpu_seconds_total{${j},mode="idle"})`,
    memory: `100 * (1 - node_memory_MemAvailable_bytes{${j}} / node_memory_MemTotal_bytes{${j}})`,
    disk: `100 * (1 - node_filesystem_avail_bytes{${fs}} / node_filesystem_size_bytes{${fs}})`,
    mountpoints: `node_filesystem_size_bytes{${j}}`,
  };
}

/** The mount holding `dir`: the longest mountpoint that is `dir` or one of its parents. */
export function mountpointOf(dir: string, mountpoints: string[]): string | undefined {
  const d = path.resolve(dir);
  const holds = (m: string) => m === "/" || d === m || d.startsWith(`${m.replace(/\/+$/, "")}/`);
  return mountpoints.filter(holds).sort((a, b) => b.length - a.length)[0];
}

/**
 * The same figures as metric queries, for the rollout's live analysis: each window judges them like
 * the stack's own `gates.queries` (a breach held for `consecutiveBreaches` windows rolls back).
 */
export function infrastructureLiveQueries(limits: (Partial<InfrastructureThresholds> & { job?: string }) | undefined, mountpoint: string): MetricQuery[] {
  const t = { ...DEFAULT_INFRASTRUCTURE, ...(limits ?? {}) };
  const q = infrastructureQueries(t.cpuWindowSeconds, mountpoint, limits?.job);
  return [
    { name: "host-cpu-percent", query: q.cpu, max: t.maxCpuPercent, description: "CPU busy % of the hosts (node_exporter)" },
    { name: "host-memory-percent", query: q.memory, max: t.maxMemoryPercent, description: "memory used % of the hosts (node_exporter)" },
    { name: "host-disk-percent", query: q.disk, max: t.maxDiskPercent, description: `disk used % of ${mountpoint} (node_exporter)` },
  ];
}

/** The mount holding `dir` as Prometheus' node_exporter sees it; "/" when none is listed. Rejects when unreadable. */
export async function hostMountpoint(prometheusUrl: string, dir: string, job = NODE_JOB): Promise<string> {
  const mounts = (await instantQuery(prometheusUrl, infrastructureQueries(DEFAULT_INFRASTRUCTURE.cpuWindowSeconds, "/", job).mountpoints)).map((m) => m.labels.mountpoint).filter(Boolean);
  return mountpointOf(dir, mounts) ?? "/";
}

type Figure = "CPU" | "memory" | "disk";

/** Each instance's figure against its limit; one line per breach, naming value, limit and host. */
export function judgeInfrastructure(figures: Record<Figure, VectorSample[]>, limits: { CPU: number; memory: number; disk: number }, diskWhat: string): { failures: string[]; seen: string[]; missing: Figure[] } {
  const failures: string[] = [];
  const seen: string[] = [];
  const missing: Figure[] = [];
  for (const f of ["CPU", "memory", "disk"] as const) {
    const samples = figures[f].filter((s) => Number.isFinite(s.value));
    if (!samples.length) missing.push(f);
    for (const s of samples) {
      const where = `${s.labels.instance ?? "?"}${f === "disk" ? ` (${diskWhat})` : ""}`;
      const line = `${f} ${s.value.toFixed(1)}%`;
      if (s.value > limits[f]) failures.push(`${line} > ${limits[f]}% allowed on ${where}`);
      else seen.push(`${line} on ${where} (at most ${limits[f]}%)`);
    }
  }
  return { failures, seen, missing };
}

export async function infrastructureCheck(s: GateSubject): Promise<CheckResult> {
  const { job: _job, ...limits } = s.config.infrastructure ?? {};
  const t = { ...DEFAULT_INFRASTRUCTURE, ...limits };
  const url = prometheusUrlOf(s.metrics);
  const result = (status: CheckResult["status"], summary: string, details: string[] = []): CheckResult => ({ check: "infrastructure", status, summary, details });
  if (!url) return result("inconclusive", "the metrics source of this target is not Prometheus: host CPU, memory and disk cannot be read");
  const diskPath = s.hostDiskPath ?? "/";
  const job = s.config.infrastructure?.job ?? NODE_JOB;
  try {
    const mounts = (await instantQuery(url, infrastructureQueries(t.cpuWindowSeconds, "/", job).mountpoints)).map((m) => m.labels.mountpoint).filter(Boolean);
    if (!mounts.length) return result("inconclusive", `no node_filesystem_size_bytes{job="${job}"} in Prometheus at ${url}: node_exporter is not scraped there (gates.infrastructure.job names its job)`);
    const mountpoint = mountpointOf(diskPath, mounts) ?? "/";
    const q = infrastructureQueries(t.cpuWindowSeconds, mountpoint, job);
    const [cpu, memory, disk] = await Promise.all([instantQuery(url, q.cpu), instantQuery(url, q.memory), instantQuery(url, q.disk)]);
    const judged = judgeInfrastructure({ CPU: cpu, memory, disk }, { CPU: t.maxCpuPercent, memory: t.maxMemoryPercent, disk: t.maxDiskPercent }, `filesystem ${mountpoint} holding ${diskPath}`);
    const details = [...judged.failures, ...judged.seen];
    if (judged.failures.length) return result("fail", judged.failures.join("; "), details);
    if (judged.missing.length) {
      const metric = { CPU: "node_cpu_seconds_total", memory: "node_memory_MemAvailable_bytes", disk: `node_filesystem_avail_bytes{mountpoint="${mountpoint}"}` };
      return result("inconclusive", `no ${judged.missing.map((m) => `${m} figure (${metric[m]}, job ${job})`).join(", ")} in Prometheus at ${url}: inconclusive`, details);
    }
    return result("pass", judged.seen.join("; "), details);
  } catch (e) {
    return result("inconclusive", `Prometheus at ${url} unreadable (${(e as Error).message}): inconclusive`);
  }
}
