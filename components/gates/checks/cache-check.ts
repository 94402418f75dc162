// cache: Redis answers PING and a write/read round trip.
import { randomUUID } from "crypto";
import Redis from "ioredis";
import { CheckResult, GateSubject, fail, pass } from "./types";

export async function cacheCheck(s: GateSubject): Promise<CheckResult> {
  if (!s.redisUrl) return fail("cache", "no cache configured for this stack");
  const redis = new Redis(s.redisUrl, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  redis.on("error", () => undefined);
  const where = new URL(s.redisUrl);
  try {
    const started = Date.now();
    await redis.connect();
    const pong = await redis.ping();
    const key = `runbook:gate:${s.stack}:${randomUUID()}`;
    const value = randomUUID();
    await redis.set(key, value, "EX", 30);
    const read = await redis.get(key);
    await redis.del(key);
    const ms = Date.now() - started;
    if (pong !== "PONG" || read !== value) return fail("cache", `Redis at ${where.host}: PING ${pong}, round trip read ${JSON.stringify(read)}`);
    return pass("cache", `Redis at ${where.host}: PING and write/read round trip in ${ms} ms`);
  } catch (e) {
    return fail("cache", `Redis at ${where.host}: ${(e as Error).message}`);
  } finally {
    redis.disconnect();
  }
}
