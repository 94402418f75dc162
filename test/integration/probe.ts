// A client that sends requests through the router continuously and records, for each, when it
// finished, which color answered and with what status. One new connection per request, so a failure
// is the router's or the service's, never a client's stale keep-alive socket closed by a reload.
import { strict as assert } from "assert";
import * as http from "http";

export interface ProbeEvent {
  t: number;
  /** X-Runbook-Color of the answer, or "none" when nothing answered. */
  color: string;
  /** HTTP status, or 0 when nothing answered. */
  status: number;
  /** The Retry-After header, when there is one (maintenance mode). */
  retryAfter?: string;
}

export function startProbe(url: string, workers = 4, pauseMs = 5, headers: Record<string, string> = {}) {
  const events: ProbeEvent[] = [];
  let stopped = false;
  const one = () =>
    new Promise<void>((resolve) => {
      const req = http.get(url, { agent: false, timeout: 5000, headers }, (res) => {
        res.resume();
        res.on("end", () => {
          const retryAfter = res.headers["retry-after"] as string | undefined;
          events.push({ t: Date.now(), color: String(res.headers["x-runbook-color"] ?? "none"), status: res.statusCode ?? 0, ...(retryAfter ? { retryAfter } : {}) });
          resolve();
        });
      });
      req.on("error", () => {
        events.push({ t: Date.now(), color: "none", status: 0 });
        resolve();
      });
      req.on("timeout", () => req.destroy());
    });
  const loops = Array.from({ length: workers }, async () => {
    while (!stopped) {
      await one();
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  });
  return {
    events,
    async stop(): Promise<ProbeEvent[]> {
      stopped = true;
      await Promise.all(loops);
      return events;
    },
  };
}

/** Every user request answered: a color's 200, or the maintenance page's 503 with Retry-After. Nothing else. */
export function assertOnlyByDesign(events: ProbeEvent[], what: string): { ok: number; page: number } {
  const wrong = events.filter((e) => !(e.status === 200 && e.color !== "none") && !(e.status === 503 && e.retryAfter !== undefined));
  assert.deepEqual(wrong.slice(0, 5), [], `${what}: ${wrong.length} of ${events.length} requests were neither a 200 nor the maintenance 503`);
  return { ok: events.filter((e) => e.status === 200).length, page: events.filter((e) => e.status === 503).length };
}
