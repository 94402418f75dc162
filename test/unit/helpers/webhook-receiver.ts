// A real HTTP receiver on 127.0.0.1 (port 0) for the notification tests: records every request
// (raw body, headers, arrival time) and answers with what the test scripts, or never ("hang").
import * as http from "http";
import type { AddressInfo } from "net";

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** What to answer request number `n` (0-based): a status, or "hang" (read it, never answer). */
export type Respond = (n: number, r: Received) => number | "hang";

export interface Receiver {
  /** Base URL with a path that stands for a webhook's secret part. */
  url: string;
  received: Received[];
  /** Resolves once `count` requests arrived (or rejects after `ms`). */
  waitFor(count: number, ms?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(respond: Respond = () => 200, secretPath = "/services/T0001/B0002/s3cr3t-token"): Promise<Receiver> {
  const received: Received[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r: Received = { path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() };
      const answer = respond(received.length, r);
      received.push(r);
      for (const w of waiters.filter((x) => received.length >= x.count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      if (answer === "hang") return;
      res.writeHead(answer, { "content-type": "text/plain" });
      res.end(answer < 300 ? "ok" : "no");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${secretPath}`,
    received,
    waitFor(count, ms = 10_000) {
      if (received.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${received.length} of ${count} requests arrived within ${ms} ms`)), ms);
        waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    async close() {
      // A hanging request's socket would keep close() waiting forever.
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
