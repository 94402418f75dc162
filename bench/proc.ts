// Resident memory of process trees, read from /proc while they run: the engine with its plugins
// during a preview, nginx's master and workers under load.
import * as fs from "fs";
import { tree } from "../scripts/processes";

/** VmRSS and VmHWM (peak RSS) of a process in KiB; undefined once it exited. */
export function memoryKiB(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
    return { rss: field("VmRSS"), hwm: field("VmHWM") };
  } catch {
    return undefined;
  }
}

export interface MemoryReport {
  /** Largest sum of VmRSS over the tree seen in one sample, in MiB. */
  peakSumMiB: number;
  /** Sum over every process seen of its own peak (VmHWM), in MiB: an upper bound of the above. */
  sumOfPeaksMiB: number;
  /** Per kind of process (its label), the largest VmHWM seen, in MiB. */
  byKind: Record<string, number>;
  samples: number;
  /** Distinct processes seen. */
  processes: number;
}

/**
 * Samples the tree under the pids `roots()` returns every `intervalMs` until stopped. `label`
 * names a process's kind from its command line (for the breakdown).
 */
export function sampleMemory(roots: () => number[], label: (cmd: string) => string, intervalMs = 100): { stop(): MemoryReport } {
  const peaks = new Map<number, { hwm: number; kind: string }>();
  let peakSum = 0;
  let samples = 0;
  const tick = () => {
    let sum = 0;
    for (const root of roots()) {
      for (const p of tree(root)) {
        const m = memoryKiB(p.pid);
        if (!m || (!p.cmd && !peaks.has(p.pid))) continue;
        sum += m.rss;
        const prev = peaks.get(p.pid);
        // A process that execs (the provider launcher) changes kind; one exiting loses its
        // command line: keep the last kind that was recognised.
        const kind = label(p.cmd);
        peaks.set(p.pid, { hwm: Math.max(prev?.hwm ?? 0, m.hwm), kind: kind === "other" && prev ? prev.kind : kind });
      }
    }
    peakSum = Math.max(peakSum, sum);
    samples++;
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const byKind: Record<string, number> = {};
      let sumOfPeaks = 0;
      for (const { hwm, kind } of peaks.values()) {
        sumOfPeaks += hwm;
        byKind[kind] = Math.max(byKind[kind] ?? 0, hwm / 1024);
      }
      return { peakSumMiB: peakSum / 1024, sumOfPeaksMiB: sumOfPeaks / 1024, byKind, samples, processes: peaks.size };
    },
  };
}

/** A label for the processes of a `pulumi` run. */
export function engineProcessKind(cmd: string): string {
  if (/scripts\/pulumi\.js/.test(cmd)) return "wrapper (npm run pulumi)";
  if (/^pulumi(\s|$)|\/pulumi\s/.test(cmd)) return "engine (pulumi)";
  if (/pulumi-language-nodejs/.test(cmd)) return "language host";
  if (/cmd\/run-policy-pack/.test(cmd)) return "policy pack";
  if (/cmd\/run(\s|$)/.test(cmd)) return "program (node)";
  if (/dynamic-provider|pulumi-resource-pulumi-nodejs/.test(cmd)) return "dynamic provider";
  return "other";
}
