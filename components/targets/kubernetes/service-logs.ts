// The kubernetes target's service logs: the pods' logs and the namespace's events, through kubectl
// (the runbook's own `kubectl logs` and `kubectl get events`), selected by the labels the target puts
// on every pod: app=<service>, color, and the stack.
import { execFile, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import type { Color } from "../../types";
import { LogLine, LogQuery, LogsContext, ServiceLogs, byTime, jsonLineTime } from "../service-logs";
import { STACK_LABEL } from "./labels";

const run = promisify(execFile);

/** kubectl: $RUNBOOK_KUBECTL, else the one on PATH. */
export function kubectlPath(): string {
  return process.env.RUNBOOK_KUBECTL || "kubectl";
}

/** The label selector of a stack's pods of `colors`. */
export function podSelector(service: string, stack: string, colors: Color[]): string {
  const color = colors.length === 1 ? `color=${colors[0]}` : `color in (${colors.join(",")})`;
  return `app=${service},${STACK_LABEL}=${stack},${color}`;
}

/**
 * One line of `kubectl logs --prefix --timestamps`: "[pod/<name>/<container>] <RFC3339> <text>".
 * The JSON line's own time wins over kubectl's (it is when the service wrote it).
 */
export function parseKubectlLine(raw: string): LogLine | undefined {
  const m = /^\[pod\/([^/\]]+)\/[^\]]+\] (\S+) ?(.*)$/.exec(raw);
  if (!m) return undefined;
  const stamped = Date.parse(m[2]);
  return { source: m[1], text: m[3], time: jsonLineTime(m[3]) ?? (Number.isFinite(stamped) ? stamped : undefined) };
}

export class KubernetesServiceLogs implements ServiceLogs {
  constructor(
    private readonly service: string,
    private readonly stack: string,
    private readonly namespace: string,
    private readonly kubeconfig: string | undefined,
  ) {}

  private args(q: LogQuery, follow: boolean): string[] {
    // Following starts at now unless asked for more: kubectl would replay every pod's whole log.
    const sinceMs = follow ? (q.sinceMs ?? 1000) : q.sinceMs;
    return [
      ...(this.kubeconfig ? ["--kubeconfig", this.kubeconfig] : []),
      "logs", "-n", this.namespace, "-l", podSelector(this.service, this.stack, q.colors),
      "--prefix", "--timestamps", "--tail=-1", "--max-log-requests=50",
      ...(sinceMs !== undefined ? [`--since=${Math.max(1, Math.ceil(sinceMs / 1000))}s`] : []),
      ...(follow ? ["--follow"] : []),
    ];
  }

  async read(q: LogQuery): Promise<LogLine[]> {
    const { stdout } = await run(kubectlPath(), this.args(q, false), { maxBuffer: 256 << 20, timeout: 120_000 });
    return byTime(stdout.split("\n").map(parseKubectlLine).filter((l): l is LogLine => l !== undefined));
  }

  follow(q: LogQuery, onLine: (line: LogLine) => void, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(kubectlPath(), this.args(q, true), { stdio: ["ignore", "pipe", "pipe"], signal });
      let rest = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        const text = rest + chunk;
        const end = text.lastIndexOf("\n");
        rest = text.slice(end + 1);
        for (const raw of text.slice(0, end + 1).split("\n")) {
          const line = parseKubectlLine(raw);
          if (line) onLine(line);
        }
      });
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      child.on("error", (e) => (signal.aborted ? resolve() : reject(e)));
      child.on("close", (code) => (signal.aborted || code === 0 ? resolve() : reject(new Error(`kubectl logs --follow exited ${code}: ${stderr.trim()}`))));
    });
  }

  async events(): Promise<string> {
    const { stdout } = await run(kubectlPath(), [...(this.kubeconfig ? ["--kubeconfig", this.kubeconfig] : []), "get", "events", "-n", this.namespace, "--sort-by=.lastTimestamp"], { maxBuffer: 64 << 20, timeout: 60_000 });
    return stdout;
  }
}

/**
 * The stack's kubeconfig: its `kubernetes:kubeconfig` (a path, or the file's content as the
 * provider also accepts), else kubectl's own default ($KUBECONFIG, ~/.kube/config).
 */
export function stackKubeconfig(providerConfig: Record<string, string>): string | undefined {
  const v = providerConfig["kubernetes:kubeconfig"];
  if (!v) return undefined;
  if (!/^\s*(apiVersion|\{|kind)/.test(v)) return v;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rb-kubeconfig-")), "config");
  fs.writeFileSync(file, v, { mode: 0o600 });
  return file;
}

export function kubernetesServiceLogs(namespace: string, ctx: LogsContext): ServiceLogs {
  return new KubernetesServiceLogs(ctx.config.service.name, ctx.stack, namespace, stackKubeconfig(ctx.providerConfig));
}
