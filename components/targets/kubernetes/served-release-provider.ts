// Waits until the gateway answers a color's requests from one release only (see served-release.ts).
import * as http from "http";
import type * as pulumi from "@pulumi/pulumi";
import { COLOR_HEADER, VERSION_HEADER } from "../../types";
import type { ServedReleaseArgs } from "./served-release";

/**
 * Consecutive answers from the release that prove no old pod is left. A left-over pod is at least
 * one of at most 2 x replicas endpoints, so each answer misses it with probability at most
 * 1 - 1/(2 x replicas); 20 x replicas misses in a row happen with probability below 1e-4.
 */
export function streakNeeded(replicas: number): number {
  return 20 * Math.max(1, replicas);
}

/** What one request answered: the release, or why it did not count. */
export type Answer = { version: string } | { problem: string };

export interface ServedOptions {
  version: string;
  replicas: number;
  timeoutMs: number;
  /** Asks once. */
  ask: () => Promise<Answer>;
  now?: () => number;
  pause?: (ms: number) => Promise<void>;
}

/**
 * Asks until `streakNeeded` answers in a row come from `version`; throws after `timeoutMs` with
 * what the last answers were. Any other answer starts the count again.
 */
export async function waitUntilServed(o: ServedOptions): Promise<{ waitedMs: number; asked: number }> {
  const now = o.now ?? Date.now;
  const pause = o.pause ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const need = streakNeeded(o.replicas);
  const start = now();
  const recent: string[] = [];
  let streak = 0;
  let asked = 0;
  for (;;) {
    const a = await o.ask();
    asked++;
    const seen = "version" in a ? a.version : a.problem;
    recent.push(seen);
    if (recent.length > need) recent.shift();
    if ("version" in a && a.version === o.version) {
      if (++streak >= need) return { waitedMs: now() - start, asked };
      continue;
    }
    streak = 0;
    if (now() - start > o.timeoutMs) {
      throw new Error(`still served by ${describe(recent)} after ${Math.round(o.timeoutMs / 1000)} s (${need} answers in a row from ${o.version} needed)`);
    }
    // Old pods leave within seconds; a missing route or gateway takes longer: no busy loop.
    await pause(100);
  }
}

/** "v1 x3, 503 x2" over the last answers, most frequent first. */
function describe(recent: string[]): string {
  const counts = new Map<string, number>();
  for (const r of recent) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} x${n}`).join(", ");
}

/** One GET of the color's /healthz through the gateway. */
function asker(a: ServedReleaseArgs, agent: http.Agent): () => Promise<Answer> {
  return async () => {
    const { default: axios } = await import("axios");
    try {
      const res = await axios.get(`${a.url.replace(/\/$/, "")}/healthz`, {
        headers: { [COLOR_HEADER]: a.color, host: a.host },
        timeout: 2000,
        validateStatus: () => true,
        proxy: false,
        httpAgent: agent,
      });
      const v = res.headers[VERSION_HEADER.toLowerCase()];
      if (res.status >= 500 || typeof v !== "string") return { problem: `HTTP ${res.status}${typeof v === "string" ? ` from ${v}` : ""}` };
      return { version: v };
    } catch (e) {
      return { problem: (e as { code?: string }).code ?? "no answer" };
    }
  };
}

async function served(a: ServedReleaseArgs) {
  // One connection per wait: the gateway still picks an endpoint per request.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const r = await waitUntilServed({ version: a.version, replicas: a.replicas, timeoutMs: a.timeoutSeconds * 1000, ask: asker(a, agent) });
    return { ...a, servedAt: new Date().toISOString(), waitedMs: r.waitedMs };
  } finally {
    agent.destroy();
  }
}

const WAIT_ON = ["version", "replicas", "color", "url", "host"] as const;

export const servedReleaseProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id, olds: ServedReleaseArgs, news: ServedReleaseArgs) {
    const changed = WAIT_ON.filter((k) => olds[k] !== news[k]);
    return { changes: changed.length > 0 || olds.timeoutSeconds !== news.timeoutSeconds || olds.service !== news.service };
  },
  async create(inputs: ServedReleaseArgs) {
    return { id: `${inputs.service}-${inputs.color}-served`, outs: await served(inputs) };
  },
  async update(_id, olds: ServedReleaseArgs & { servedAt?: string; waitedMs?: number }, news: ServedReleaseArgs) {
    // Only a new release or a changed address needs asking again.
    if (WAIT_ON.every((k) => olds[k] === news[k])) return { outs: { ...news, servedAt: olds.servedAt, waitedMs: olds.waitedMs } };
    return { outs: await served(news) };
  },
};
