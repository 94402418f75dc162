// Request handling for the sample service: one function per endpoint, each returning a Reply
// that a single writer sends, so headers and metrics are applied in exactly one place.
import * as http from "http";
import { performance } from "perf_hooks";
import { ItemsCache } from "./cache";
import { ServiceConfig } from "./config";
import { ItemsDatabase } from "./db";
import { FaultSwitch, shouldInjectError, simulatedWorkMs, sleep, worseHealth } from "./faults";
import { HealthMonitor } from "./health";
import { MetricRoute, ServiceMetrics } from "./metrics";

export interface Lifecycle {
    /** Set once the server listens. */
    started: boolean;
    /** Set on SIGTERM/SIGINT; readiness drops at once. */
    shuttingDown: boolean;
}

export interface ServiceParts {
    config: ServiceConfig;
    metrics: ServiceMetrics;
    health: HealthMonitor;
    lifecycle: Lifecycle;
    database?: ItemsDatabase;
    cache?: ItemsCache;
    /** Where each failed (5xx) served request is logged, with its reason. */
    logFailure?: (fields: FailedRequest) => void;
}

/** What the log says of a served request answered with a 5xx. */
export interface FailedRequest {
    method: string;
    route: MetricRoute;
    status: number;
    /** The error of the reply, a short stable phrase ("injected fault", "database unavailable"). */
    reason: string;
    detail?: string;
    durationMs: number;
}

interface Reply {
    status: number;
    body: string;
    /** For a 5xx: why, as logged. */
    failure?: { reason: string; detail?: string };
    contentType?: string;
    headers?: Record<string, string>;
}

/** How long GET /api/items stays cached in Redis. */
export const ITEMS_CACHE_TTL_MS = 2_000;
const MAX_BODY_BYTES = 16 * 1024;
const MAX_NAME_LENGTH = 200;

export function createRequestHandler(parts: ServiceParts): http.RequestListener {
    const { config, metrics, health, lifecycle, database, cache, logFailure } = parts;
    const faultyWorkMs = simulatedWorkMs(config.workMs, config.faults);
    const healthyWorkMs = config.workMs;
    const faultSwitch = new FaultSwitch(config.faults);
    // Keyed by version: a new release may read rows differently, and must not serve what the
    // old one cached.
    const itemsCacheKey = `runbook:items:${config.version}`;
    // GET / is the hot path for load tests; its body never changes, so it is built once.
    const rootBody = JSON.stringify({ version: config.version, color: config.color, instance: config.instance });
    const injectedError = failure(500, "injected fault", `FAULT_ERROR_RATE_PERCENT=${config.faults.errorRatePercent}`);

    function send(res: http.ServerResponse, reply: Reply): void {
        res.statusCode = reply.status;
        res.setHeader("Content-Type", reply.contentType ?? "application/json; charset=utf-8");
        res.setHeader("Cache-Control", "no-store");
        for (const [name, value] of Object.entries(reply.headers ?? {})) {
            res.setHeader(name, value);
        }
        // While draining, close keep-alive connections after their response so shutdown does
        // not wait for clients to hang up.
        if (lifecycle.shuttingDown) {
            res.setHeader("Connection", "close");
        }
        res.end(reply.body);
    }

    // Served routes: counted in the metrics, subject to simulated work and the error fault.
    async function served(route: MetricRoute, req: http.IncomingMessage, res: http.ServerResponse,
        handle: () => Promise<Reply>): Promise<void> {
        const started = performance.now();
        let reply: Reply;
        try {
            reply = await handle();
        } catch (err) {
            reply = failure(500, "internal error", errorMessage(err));
        }
        send(res, reply);
        const seconds = (performance.now() - started) / 1000;
        metrics.observe(route, reply.status, seconds);
        if (reply.status >= 500) {
            logFailure?.({
                method: req.method ?? "GET", route, status: reply.status,
                reason: reply.failure?.reason ?? "unknown", detail: reply.failure?.detail,
                durationMs: Math.round(seconds * 10_000) / 10,
            });
        }
    }

    // Simulated work and the error fault, in the order a real handler would meet them.
    async function work(): Promise<Reply | undefined> {
        const faulty = faultSwitch.request();
        await sleep(faulty ? faultyWorkMs : healthyWorkMs);
        return faulty && shouldInjectError(config.faults) ? injectedError : undefined;
    }

    async function root(req: http.IncomingMessage): Promise<Reply> {
        if (!isRead(req)) {
            return methodNotAllowed("GET, HEAD");
        }
        return (await work()) ?? { status: 200, body: rootBody };
    }

    async function listItems(): Promise<Reply> {
        const failed = await work();
        if (failed) {
            return failed;
        }
        if (!database) {
            return databaseNotConfigured();
        }
        const cached = await cache?.get<unknown[]>(itemsCacheKey);
        if (cached !== undefined) {
            return json(200, { items: cached }, { "X-Cache": "hit" });
        }
        let items;
        try {
            items = await database.listItems();
        } catch (err) {
            return databaseUnavailable(err);
        }
        await cache?.set(itemsCacheKey, items, ITEMS_CACHE_TTL_MS);
        return json(200, { items }, { "X-Cache": cache ? "miss" : "off" });
    }

    async function createItem(req: http.IncomingMessage): Promise<Reply> {
        let body: string;
        try {
            body = await readBody(req, MAX_BODY_BYTES);
        } catch (err) {
            return json(413, { error: errorMessage(err) });
        }
        const failed = await work();
        if (failed) {
            return failed;
        }
        const name = parseItemName(body);
        if (typeof name !== "string") {
            return json(400, { error: name.error });
        }
        if (!database) {
            return databaseNotConfigured();
        }
        let item;
        try {
            item = await database.insertItem(name);
        } catch (err) {
            return databaseUnavailable(err);
        }
        await cache?.delete(itemsCacheKey);
        return json(201, item);
    }

    function healthz(): Reply {
        const checks = health.current;
        const dependencies = Object.values(checks).includes("fail") ? "degraded" : "ok";
        // A failing dependency degrades the service but does not make it dead: / still
        // answers, and restarting the process would not bring the database back.
        const status = worseHealth(config.faults.health, dependencies);
        return json(status === "fail" ? 503 : 200, {
            status, version: config.version, color: config.color, instance: config.instance, checks,
        });
    }

    function readyz(): Reply {
        const reason = lifecycle.shuttingDown ? "shutting down"
            : !lifecycle.started ? "starting"
                : !health.databaseReady ? "waiting for the database"
                    : undefined;
        return reason === undefined
            ? json(200, { ready: true })
            : json(503, { ready: false, reason });
    }

    async function metricsReply(): Promise<Reply> {
        return { status: 200, body: await metrics.render(), contentType: metrics.contentType };
    }

    return (req, res) => {
        res.setHeader("X-Runbook-Version", config.version);
        res.setHeader("X-Runbook-Color", config.color);
        const path = pathOf(req.url);
        switch (path) {
            case "/":
                void served("/", req, res, () => root(req));
                return;
            case "/api/items":
                void served("/api/items", req, res, () => {
                    if (isRead(req)) {
                        return listItems();
                    }
                    return req.method === "POST" ? createItem(req) : Promise.resolve(methodNotAllowed("GET, HEAD, POST"));
                });
                return;
            case "/healthz":
                send(res, isRead(req) ? healthz() : methodNotAllowed("GET, HEAD"));
                return;
            case "/readyz":
                send(res, isRead(req) ? readyz() : methodNotAllowed("GET, HEAD"));
                return;
            case "/metrics":
                if (!isRead(req)) {
                    send(res, methodNotAllowed("GET, HEAD"));
                    return;
                }
                metricsReply().then(
                    (reply) => send(res, reply),
                    (err) => send(res, json(500, { error: "metrics unavailable", detail: errorMessage(err) })));
                return;
            default:
                send(res, json(404, { error: `no route for ${path}` }));
        }
    };
}

/** Item name from a POST body, or what is wrong with it. Exported for tests. */
export function parseItemName(body: string): string | { error: string } {
    let parsed: unknown;
    try {
        parsed = JSON.parse(body);
    } catch {
        return { error: "body must be JSON like {\"name\": \"...\"}" };
    }
    const name = (parsed as { name?: unknown } | null)?.name;
    if (typeof name !== "string" || name.trim() === "" || name.length > MAX_NAME_LENGTH) {
        return { error: `name must be a non-empty string of at most ${MAX_NAME_LENGTH} characters` };
    }
    return name;
}

function json(status: number, value: unknown, headers?: Record<string, string>): Reply {
    return { status, body: JSON.stringify(value), headers };
}

/** A 5xx reply whose error and detail are also what the failed request's log line says. */
function failure(status: number, reason: string, detail: string): Reply {
    return { ...json(status, { error: reason, detail }), failure: { reason, detail } };
}

function methodNotAllowed(allow: string): Reply {
    return json(405, { error: `method not allowed; use ${allow}` }, { Allow: allow });
}

function databaseNotConfigured(): Reply {
    return failure(503, "database not configured", "set DATABASE_URL");
}

// The driver's message ("connect ECONNREFUSED 127.0.0.1:5432", "password authentication
// failed for user ...") says what is wrong and never contains the password.
function databaseUnavailable(err: unknown): Reply {
    return failure(503, "database unavailable", errorMessage(err));
}

function isRead(req: http.IncomingMessage): boolean {
    return req.method === "GET" || req.method === "HEAD";
}

function pathOf(url: string | undefined): string {
    const raw = url ?? "/";
    const query = raw.indexOf("?");
    return query === -1 ? raw : raw.slice(0, query);
}

function errorMessage(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
}

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        req.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > limit) {
                // Keep reading (and dropping) the rest so the connection stays usable.
                reject(new Error(`body larger than ${limit} bytes`));
                return;
            }
            chunks.push(chunk);
        });
        req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        req.on("error", reject);
    });
}
