// Redis cache in front of GET /api/items. The cache is an optimisation only: every failure here
// is swallowed and the caller falls back to the database, so a missing Redis costs latency,
// never availability, and never crashes the process.
import Redis from "ioredis";

export class ItemsCache {
    private readonly redis: Redis;
    private lastError = "";

    constructor(url: string, onError: (message: string) => void) {
        this.redis = new Redis(url, {
            // Connect when start() says so, so construction never throws or emits.
            lazyConnect: true,
            connectTimeout: 1_000,
            // Fail a command at once while disconnected rather than queueing it behind a
            // reconnect: the request is better served from the database now.
            enableOfflineQueue: false,
            maxRetriesPerRequest: 1,
            commandTimeout: 500,
            // Keep trying to reconnect, but no faster than every 2 s, so Redis started after the
            // service is picked up without flooding the log or the network.
            retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
        });
        // ioredis emits "error" on every failed connection attempt; the listener keeps those
        // from becoming unhandled. The health monitor logs state changes, not every attempt.
        this.redis.on("error", (err: Error) => {
            this.lastError = err.message;
            onError(err.message);
        });
    }

    /** First connection attempt; resolves either way, the retry strategy takes over on failure. */
    async start(): Promise<void> {
        try {
            await this.redis.connect();
        } catch {
            // Reported through the "error" listener and the health probe.
        }
    }

    async probe(): Promise<void> {
        // While disconnected a command fails with "Stream isn't writeable"; the connection
        // error (ECONNREFUSED, auth) says far more about what to fix.
        if (this.redis.status !== "ready") {
            throw new Error(`not connected (${this.redis.status}${this.lastError ? `: ${this.lastError}` : ""})`);
        }
        await this.redis.ping();
    }

    async get<T>(key: string): Promise<T | undefined> {
        try {
            const value = await this.redis.get(key);
            return value === null ? undefined : (JSON.parse(value) as T);
        } catch {
            return undefined;
        }
    }

    async set(key: string, value: unknown, ttlMs: number): Promise<void> {
        try {
            await this.redis.set(key, JSON.stringify(value), "PX", ttlMs);
        } catch {
            // Next reader goes to the database.
        }
    }

    async delete(key: string): Promise<void> {
        try {
            await this.redis.del(key);
        } catch {
            // The entry expires within its TTL anyway.
        }
    }

    async close(): Promise<void> {
        // QUIT needs a live connection; when there is none, drop the reconnect loop instead.
        if (this.redis.status === "ready") {
            try {
                await this.redis.quit();
                return;
            } catch {
                // Fall through to a hard disconnect.
            }
        }
        this.redis.disconnect();
    }
}
