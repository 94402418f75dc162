// Entry point of the sample service: `node bin/sample-service/server.js`.
//
// Lifecycle: parse the configuration (exit 2 if invalid), apply the start faults, connect to the
// optional database and cache, listen, and on SIGTERM/SIGINT drain and exit 0. The blue/green
// tooling runs this as real processes, so every step logs one line it can wait for.
import * as http from "http";
import { ItemsCache } from "./cache";
import { ConfigError, parseServiceConfig, redactUrl, ServiceConfig } from "./config";
import { ItemsDatabase } from "./db";
import { sleep } from "./faults";
import { HealthMonitor } from "./health";
import { LogContext, logEvent } from "./log";
import { ServiceMetrics } from "./metrics";
import { createRequestHandler, FailedRequest, Lifecycle } from "./routes";

/** Longest time in-flight requests get to finish after SIGTERM/SIGINT. */
export const DRAIN_TIMEOUT_MS = 10_000;
// Closing the pool and Redis should take milliseconds; the bound only keeps a hung dependency
// from turning a clean shutdown into a SIGKILL.
const CLOSE_TIMEOUT_MS = 2_000;

export const EXIT_CONFIG_ERROR = 2;
export const EXIT_FAILURE = 1;

async function main(): Promise<void> {
    let config: ServiceConfig;
    try {
        config = parseServiceConfig(process.env);
    } catch (err) {
        if (err instanceof ConfigError) {
            process.stderr.write(`sample-service: ${err.message}\n`);
            process.exit(EXIT_CONFIG_ERROR);
        }
        throw err;
    }
    const context: LogContext = {
        version: config.version, color: config.color, instance: config.instance, port: config.port,
    };

    if (config.faults.crashAtStart) {
        logEvent(context, "crash", { reason: "FAULT_CRASH_AT_START=true" });
        process.exit(EXIT_FAILURE);
    }

    const lifecycle: Lifecycle = { started: false, shuttingDown: false };
    // Filled in as start-up proceeds; shutdown closes whatever exists by then. The handlers are
    // installed first so a SIGTERM during a slow start still ends with exit 0, not a kill.
    let server: http.Server | undefined;
    let health: HealthMonitor | undefined;
    let database: ItemsDatabase | undefined;
    let cache: ItemsCache | undefined;

    const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
        if (lifecycle.shuttingDown) {
            return;
        }
        lifecycle.shuttingDown = true;
        logEvent(context, "shutdown", { signal });
        const drained = server ? await drain(server) : true;
        await health?.stop();
        await Promise.race([
            Promise.allSettled([database?.close(), cache?.close()]),
            sleep(CLOSE_TIMEOUT_MS),
        ]);
        logEvent(context, "stopped", { drained, exitCode: 0 });
        process.exit(0);
    };
    process.on("SIGTERM", (signal) => void shutdown(signal));
    process.on("SIGINT", (signal) => void shutdown(signal));

    if (config.faults.slowStartMs > 0) {
        logEvent(context, "slow-start", { delayMs: config.faults.slowStartMs });
        await sleep(config.faults.slowStartMs);
    }

    let readyLogged = false;
    const logReadyOnce = (): void => {
        if (!readyLogged && lifecycle.started && !lifecycle.shuttingDown && health?.databaseReady) {
            readyLogged = true;
            logEvent(context, "ready");
        }
    };

    database = config.databaseUrl
        ? new ItemsDatabase(config.databaseUrl, (message) => logEvent(context, "database-error", { error: message }),
            `runbook-${config.color}-${config.instance}-${config.version}`)
        : undefined;
    // Per-attempt connection errors are left to the health monitor, which logs state changes.
    cache = config.redisUrl ? new ItemsCache(config.redisUrl, () => undefined) : undefined;
    health = new HealthMonitor(database, cache, (dependency, state, error) => {
        logEvent(context, "dependency", { dependency, state, error });
        logReadyOnce();
    });
    const db = database;
    const metrics = new ServiceMetrics(config.version, config.color, db && (() => db.poolUse()));

    // One probe round before listening, so the first /healthz already tells the truth.
    await cache?.start();
    await health.probeOnce();
    if (lifecycle.shuttingDown) {
        return;
    }
    health.start();

    const logFailure = (fields: FailedRequest) => logEvent(context, "request-failed", { ...fields });
    server = http.createServer(createRequestHandler({ config, metrics, health, lifecycle, database, cache, logFailure }));
    server.on("error", (err) => {
        logEvent(context, "listen-error", { error: err.message });
        process.exit(EXIT_FAILURE);
    });
    await new Promise<void>((resolve) => server?.listen(config.port, config.host, resolve));
    lifecycle.started = true;
    logEvent(context, "start", {
        host: config.host,
        pid: process.pid,
        database: config.databaseUrl ? redactUrl(config.databaseUrl) : "not configured",
        cache: config.redisUrl ? redactUrl(config.redisUrl) : "not configured",
        workMs: config.workMs,
        faults: config.faults,
    });
    logReadyOnce();
}

/**
 * Stops accepting connections and waits for in-flight requests, at most DRAIN_TIMEOUT_MS.
 * Resolves true if everything finished in time.
 */
async function drain(server: http.Server): Promise<boolean> {
    // server.close calls back once every connection has ended; idle keep-alive sockets would
    // hold it open, so they are closed now and again as in-flight requests finish (those
    // responses also carry Connection: close, see routes.ts).
    const closed = new Promise<boolean>((resolve) => server.close(() => resolve(true)));
    server.closeIdleConnections();
    const sweeper = setInterval(() => server.closeIdleConnections(), 100);
    const inTime = await Promise.race([closed, sleep(DRAIN_TIMEOUT_MS).then(() => false)]);
    clearInterval(sweeper);
    if (!inTime) {
        server.closeAllConnections();
    }
    return inTime;
}

main().catch((err: unknown) => {
    logEvent(undefined, "fatal", { error: err instanceof Error ? err.message : String(err) });
    process.exit(EXIT_FAILURE);
});
