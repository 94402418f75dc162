// external: the services the release depends on answer (HTTP below 500, or a TCP connect).
import * as net from "net";
import axios from "axios";
import { CheckResult, GateSubject, fail, pass } from "./types";

function tcp(hostPort: string, timeoutMs: number): Promise<void> {
  const [host, port] = hostPort.split(":");
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port: Number(port), timeout: timeoutMs });
    sock.once("connect", () => {
      sock.destroy();
      resolve();
    });
    sock.once("timeout", () => {
      sock.destroy();
      reject(new Error(`timed out after ${timeoutMs} ms`));
    });
    sock.once("error", reject);
  });
}

export async function externalCheck(s: GateSubject): Promise<CheckResult> {
  const endpoints = s.config.external;
  if (!endpoints.length) return pass("external", "no external services configured");
  const results = await Promise.all(
    endpoints.map(async (e) => {
      try {
        if (e.tcp) {
          await tcp(e.tcp, 3000);
          return { ok: true, line: `${e.name} (tcp ${e.tcp}) reachable` };
        }
        const r = await axios.get(e.url!, { timeout: 3000, validateStatus: () => true, proxy: false });
        return { ok: r.status < 500, line: `${e.name} (${e.url}) answered ${r.status}` };
      } catch (err) {
        return { ok: false, line: `${e.name} (${e.tcp ?? e.url}) unreachable: ${(err as Error).message}` };
      }
    }),
  );
  const bad = results.filter((r) => !r.ok);
  const lines = results.map((r) => r.line);
  return bad.length ? fail("external", bad.map((b) => b.line).join("; "), lines) : pass("external", `${results.length} reachable`, lines);
}
