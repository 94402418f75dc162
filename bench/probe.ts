// A probe for the rollback, kubernetes and flagger sections: which color and release answered each
// request, and when.
import * as http from "http";
import { sleep } from "./stats";

/** Requests sent continuously (4 at a time, with `headers`) while recording which color and release answered, and when. */
export function startProbe(url: string, workers = 4, headers: Record<string, string> = {}) {
  const events: { t: number; color: string; version?: string }[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: workers });
  let stopped = false;
  const one = () =>
    new Promise<void>((resolve) => {
      const req = http.get(url, { agent, headers, timeout: 5000 }, (res) => {
        const color = res.statusCode === 200 ? String(res.headers["x-runbook-color"]) : `status ${res.statusCode}`;
        const version = res.headers["x-runbook-version"];
        res.resume();
        res.on("end", () => {
          events.push({ t: Date.now(), color, ...(typeof version === "string" ? { version } : {}) });
          resolve();
        });
      });
      req.on("error", (e: NodeJS.ErrnoException) => {
        events.push({ t: Date.now(), color: `error ${e.code ?? e.message}` });
        resolve();
      });
      req.on("timeout", () => req.destroy());
    });
  const loops = Array.from({ length: workers }, async () => {
    while (!stopped) {
      await one();
      await sleep(5);
    }
  });
  return {
    events,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}

