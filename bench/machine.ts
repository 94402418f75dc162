// The machine a benchmark ran on, for the table's header.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  os: string;
  node: string;
  engine: string;
  /** 1-minute load average when the run started (other work on the machine skews every figure). */
  loadAtStart: number;
}

function osName(): string {
  try {
    const release = fs.readFileSync("/etc/os-release", "utf8");
    return /^PRETTY_NAME="?([^"\n]+)"?/m.exec(release)?.[1] ?? os.type();
  } catch {
    return os.type();
  }
}

export function machine(root: string): Machine {
  let engine = "unknown";
  try {
    engine = execFileSync(process.execPath, [path.join(root, "scripts", "pulumi.js"), "version"], { cwd: root, encoding: "utf8" }).trim();
  } catch {
    // reported as unknown
  }
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: os.totalmem() / 1024 ** 3,
    kernel: os.release(),
    os: osName(),
    node: process.version,
    engine,
    loadAtStart: os.loadavg()[0],
  };
}

export function describeMachine(m: Machine): string {
  return `${m.cpus} × ${m.cpuModel}, ${m.memoryGiB.toFixed(1)} GiB RAM, ${m.os} (Linux ${m.kernel}), Node.js ${m.node}, Pulumi engine ${m.engine}; load average ${m.loadAtStart.toFixed(2)} at start`;
}
