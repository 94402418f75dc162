// Integration tests of the sample service: the compiled server runs as a real child process
// against the real local PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) that
// scripts/bootstrap-local.sh starts. Every child is killed in `after`, even when a test fails.
import * as assert from "assert";
import axios, { AxiosResponse } from "axios";
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../../..");
const SERVER = path.join(ROOT, "bin/sample-service/server.js");
const BOOTSTRAP = path.join(ROOT, "scripts/bootstrap-local.sh");
const DB_PASSWORD = process.env.RUNBOOK_DB_PASSWORD ?? "runbook-local";
const DATABASE_URL = `postgres://runbook:${encodeURIComponent(DB_PASSWORD)}@127.0.0.1:5432/runbook`;
const REDIS_URL = "redis://127.0.0.1:6379";
// Unique per run: the items cache is keyed by version, so runs cannot see each other's entries.
const VERSION = `v1.0.0-it.${process.pid}`;

interface Exit {
    code: number | null;
    signal: NodeJS.Signals | null;
}

class ServiceProcess {
    stdout = "";
    stderr = "";
    readonly exited: Promise<Exit>;

    constructor(readonly child: ChildProcess, readonly port: number, readonly color: string) {
        child.stdout?.on("data", (chunk: Buffer) => { this.stdout += chunk.toString(); });
        child.stderr?.on("data", (chunk: Buffer) => { this.stderr += chunk.toString(); });
        this.exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
    }

    url(route: string): string {
        return `http://127.0.0.1:${this.port}${route}`;
    }

    get(route: string, agent?: http.Agent): Promise<AxiosResponse> {
        return axios.get(this.url(route), { validateStatus: () => true, timeout: 10_000, httpAgent: agent });
    }

    /** Lifecycle events logged so far, parsed from the JSON lines on stdout. */
    events(): Array<Record<string, unknown>> {
        return this.stdout.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line));
    }

    output(): string {
        return `--- stdout ---\n${this.stdout}--- stderr ---\n${this.stderr}`;
    }
}

const children = new Set<ServiceProcess>();

async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

/** Spawns the service with only the given environment (nothing leaks in from the test run). */
async function spawnService(env: Record<string, string>): Promise<ServiceProcess> {
    const port = await freePort();
    const color = env.RUNBOOK_COLOR ?? "green";
    const child = spawn(process.execPath, [SERVER], {
        env: {
            PATH: process.env.PATH ?? "/usr/bin:/bin",
            PORT: String(port),
            RUNBOOK_VERSION: VERSION,
            RUNBOOK_COLOR: color,
            ...env,
        },
        stdio: ["ignore", "pipe", "pipe"],
    });
    const service = new ServiceProcess(child, port, color);
    children.add(service);
    return service;
}

/** Polls until the service answers `route` with `status` (any status if undefined). */
async function waitFor(service: ServiceProcess, route: string, status?: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited: Exit | undefined;
    void service.exited.then((exit) => { exited = exit; });
    while (Date.now() < deadline) {
        if (exited) {
            assert.fail(`service exited early (${JSON.stringify(exited)})\n${service.output()}`);
        }
        try {
            const res = await axios.get(service.url(route), { validateStatus: () => true, timeout: 1_000 });
            if (status === undefined || res.status === status) {
                return;
            }
        } catch {
            // Not listening yet.
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.fail(`service did not answer ${route}${status ? ` with ${status}` : ""} within ${timeoutMs} ms\n${service.output()}`);
}

async function startService(env: Record<string, string>, wait: "ready" | "listening" = "ready"): Promise<ServiceProcess> {
    const service = await spawnService(env);
    await waitFor(service, wait === "ready" ? "/readyz" : "/healthz", wait === "ready" ? 200 : undefined);
    return service;
}

async function exitWithin(service: ServiceProcess, ms: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`service still running after ${ms} ms\n${service.output()}`)), ms);
    });
    try {
        return await Promise.race([service.exited, timeout]);
    } finally {
        clearTimeout(timer);
    }
}

function assertRunbookHeaders(res: AxiosResponse, service: ServiceProcess, what: string): void {
    assert.strictEqual(res.headers["x-runbook-version"], VERSION, `X-Runbook-Version on ${what}`);
    assert.strictEqual(res.headers["x-runbook-color"], service.color, `X-Runbook-Color on ${what}`);
}

/** Value of one sample in a Prometheus text exposition, 0 when the series does not exist yet. */
function sample(metricsText: string, name: string, labels: Record<string, string>): number {
    const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    for (const line of metricsText.split("\n")) {
        const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
        if (match && match[1] === name) {
            const present = match[2].split(",");
            if (wanted.every((pair) => present.includes(pair)) && present.length === wanted.length) {
                return Number(match[3]);
            }
        }
    }
    return 0;
}

function isListening(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect(port, "127.0.0.1");
        socket.once("connect", () => { socket.destroy(); resolve(true); });
        socket.once("error", () => resolve(false));
    });
}

describe("sample service (real process, PostgreSQL and Redis)", function () {
    this.timeout(30_000);

    before(async function () {
        this.timeout(180_000);
        if (fs.existsSync(BOOTSTRAP)) {
            execFileSync("bash", [BOOTSTRAP], { cwd: ROOT, stdio: "inherit", timeout: 170_000 });
        }
        assert.ok(fs.existsSync(SERVER), `${SERVER} is missing: run npx tsc -p tsconfig.json first`);
        for (const [name, port] of [["PostgreSQL", 5432], ["Redis", 6379]] as const) {
            assert.ok(await isListening(port),
                `${name} is not listening on 127.0.0.1:${port}; start it with scripts/bootstrap-local.sh`);
        }
    });

    after(async () => {
        for (const service of children) {
            if (service.child.exitCode === null && service.child.signalCode === null) {
                service.child.kill("SIGKILL");
                await service.exited;
            }
        }
        children.clear();
    });

    describe("a healthy release with database and cache", () => {
        let service: ServiceProcess;

        before(async () => {
            service = await startService({ DATABASE_URL, REDIS_URL, SERVICE_WORK_MS: "1" });
        });

        it("puts X-Runbook-Version and X-Runbook-Color on every response", async () => {
            const routes = ["/", "/healthz", "/readyz", "/metrics", "/api/items", "/no-such-route", "/api/nothing"];
            for (const route of routes) {
                assertRunbookHeaders(await service.get(route), service, `GET ${route}`);
            }
            const badPost = await axios.post(service.url("/api/items"), "not json",
                { validateStatus: () => true, headers: { "Content-Type": "application/json" } });
            assert.strictEqual(badPost.status, 400);
            assertRunbookHeaders(badPost, service, "POST /api/items with a bad body");
            const wrongMethod = await axios.delete(service.url("/"), { validateStatus: () => true });
            assert.strictEqual(wrongMethod.status, 405);
            assertRunbookHeaders(wrongMethod, service, "DELETE /");
        });

        it("answers / with its version, color and instance", async () => {
            const res = await service.get("/");
            assert.strictEqual(res.status, 200);
            assert.deepStrictEqual(res.data, { version: VERSION, color: "green", instance: 0 });
        });

        it("reports ok on /healthz with both dependencies ok, and is ready", async () => {
            const health = await service.get("/healthz");
            assert.strictEqual(health.status, 200);
            assert.deepStrictEqual(health.data, {
                status: "ok", version: VERSION, color: "green", instance: 0,
                checks: { database: "ok", cache: "ok" },
            });
            const ready = await service.get("/readyz");
            assert.strictEqual(ready.status, 200);
        });

        it("answers 404 for an unknown path", async () => {
            assert.strictEqual((await service.get("/no-such-route")).status, 404);
        });

        it("counts served requests in /metrics with version and color labels, and not the probes", async () => {
            const labels = { version: VERSION, color: "green", route: "/" };
            const before = (await service.get("/metrics")).data as string;
            for (let i = 0; i < 7; i++) {
                assert.strictEqual((await service.get("/")).status, 200);
                await service.get("/healthz");
                await service.get("/readyz");
            }
            const after = (await service.get("/metrics")).data as string;

            assert.strictEqual(
                sample(after, "runbook_http_requests_total", { ...labels, code: "200" })
                - sample(before, "runbook_http_requests_total", { ...labels, code: "200" }), 7);
            assert.strictEqual(
                sample(after, "runbook_http_request_duration_seconds_count", labels)
                - sample(before, "runbook_http_request_duration_seconds_count", labels), 7);
            // Buckets between 5 and 50 ms exist, where latency gates compare releases.
            const bucketsInRange = after.split("\n").filter((line) =>
                line.startsWith("runbook_http_request_duration_seconds_bucket{")
                && line.includes('route="/"')
                && (() => { const le = Number(/le="([^"]+)"/.exec(line)?.[1]); return le > 0.005 && le < 0.05; })());
            assert.ok(bucketsInRange.length >= 3, `buckets between 5 and 50 ms: ${bucketsInRange.length}`);
            for (const probe of ["/healthz", "/readyz", "/metrics"]) {
                assert.ok(!after.includes(`route="${probe}"`), `${probe} must not be counted`);
            }
            assert.ok(after.includes("process_cpu_user_seconds_total"), "default process metrics missing");
        });

        it("stores a POSTed item and returns it from GET /api/items, invalidating then filling the cache", async () => {
            const name = `item-${process.pid}-${Date.now()}`;
            await service.get("/api/items"); // fill the cache, so the POST has something to invalidate

            const created = await axios.post(service.url("/api/items"), { name }, { validateStatus: () => true });
            assert.strictEqual(created.status, 201, JSON.stringify(created.data));
            assert.strictEqual(created.data.name, name);
            assert.ok(Number.isInteger(created.data.id));

            const first = await service.get("/api/items");
            assert.strictEqual(first.status, 200);
            assert.strictEqual(first.headers["x-cache"], "miss", "the POST must invalidate the cache");
            const found = (first.data.items as Array<{ id: number; name: string }>).find((i) => i.id === created.data.id);
            assert.deepStrictEqual(found && { id: found.id, name: found.name }, { id: created.data.id, name });

            const second = await service.get("/api/items");
            assert.strictEqual(second.headers["x-cache"], "hit", "the second read must come from Redis");
            assert.deepStrictEqual(second.data, first.data);
        });

        it("never logs the database password", async function () {
            if (DB_PASSWORD === "") {
                this.skip();
            }
            const start = service.events().find((e) => e.event === "start");
            assert.ok(start, service.output());
            assert.strictEqual(start.database, "postgres://runbook:***@127.0.0.1:5432/runbook");
            assert.ok(!service.stdout.includes(DB_PASSWORD) && !service.stderr.includes(DB_PASSWORD));
        });
    });

    it("answers about half of the requests with 500 when FAULT_ERROR_RATE_PERCENT=50", async () => {
        const service = await startService({ FAULT_ERROR_RATE_PERCENT: "50", SERVICE_WORK_MS: "0" });
        const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
        try {
            const responses = await Promise.all(Array.from({ length: 400 }, () => service.get("/", agent)));
            const failures = responses.filter((r) => r.status === 500).length;
            assert.strictEqual(responses.filter((r) => r.status === 200).length + failures, 400);
            // Binomial(400, 0.5): standard deviation 10, so 140..260 is six of them either side.
            assert.ok(failures >= 140 && failures <= 260, `${failures} of 400 requests failed`);
            responses.forEach((r, i) => assertRunbookHeaders(r, service, `request ${i}`));

            const metrics = (await service.get("/metrics", agent)).data as string;
            const labels = { version: VERSION, color: "green", route: "/" };
            assert.strictEqual(sample(metrics, "runbook_http_request_errors_total", labels), failures);
            assert.strictEqual(sample(metrics, "runbook_http_requests_total", { ...labels, code: "500" }), failures);
            assert.strictEqual(sample(metrics, "runbook_http_requests_total", { ...labels, code: "200" }), 400 - failures);
        } finally {
            agent.destroy();
        }
    });

    it("reports degraded with 200 when FAULT_HEALTH=degraded, and fail with 503 when FAULT_HEALTH=fail", async () => {
        const degraded = await startService({ FAULT_HEALTH: "degraded" });
        const failing = await startService({ FAULT_HEALTH: "fail", RUNBOOK_COLOR: "blue" });
        const a = await degraded.get("/healthz");
        assert.strictEqual(a.status, 200);
        assert.strictEqual(a.data.status, "degraded");
        assert.deepStrictEqual(a.data.checks, { database: "not configured", cache: "not configured" });
        const b = await failing.get("/healthz");
        assert.strictEqual(b.status, 503);
        assert.strictEqual(b.data.status, "fail");
        assertRunbookHeaders(b, failing, "a failing /healthz");
    });

    it("adds FAULT_LATENCY_MS to every request on /", async () => {
        const service = await startService({ FAULT_LATENCY_MS: "300", SERVICE_WORK_MS: "0" });
        const started = Date.now();
        assert.strictEqual((await service.get("/")).status, 200);
        assert.ok(Date.now() - started >= 295, `took ${Date.now() - started} ms`);
        const health = Date.now();
        await service.get("/healthz");
        assert.ok(Date.now() - health < 250, "probes must not be slowed by the latency fault");
    });

    it("exits 1 without listening when FAULT_CRASH_AT_START=true", async () => {
        const service = await spawnService({ FAULT_CRASH_AT_START: "true" });
        const exit = await exitWithin(service, 10_000);
        assert.deepStrictEqual(exit, { code: 1, signal: null }, service.output());
        assert.ok(service.events().some((e) => e.event === "crash"), service.output());
        assert.strictEqual(await isListening(service.port), false);
    });

    it("exits 2 naming the variable and the allowed values when the configuration is invalid", async () => {
        const service = await spawnService({ RUNBOOK_COLOR: "purple" });
        const exit = await exitWithin(service, 10_000);
        assert.deepStrictEqual(exit, { code: 2, signal: null }, service.output());
        assert.match(service.stderr, /RUNBOOK_COLOR must be one of blue, green; got "purple"/);
    });

    it("does not listen before FAULT_SLOW_START_MS has passed", async () => {
        const started = Date.now();
        const service = await spawnService({ FAULT_SLOW_START_MS: "1200" });
        await new Promise((resolve) => setTimeout(resolve, 600));
        assert.strictEqual(await isListening(service.port), false, "listening during the slow start");
        await waitFor(service, "/readyz", 200);
        assert.ok(Date.now() - started >= 1200, `ready after ${Date.now() - started} ms`);
    });

    it("keeps serving / but fails /healthz's database check and /api/items when the database is unreachable", async () => {
        const closedPort = await freePort();
        const service = await startService({
            DATABASE_URL: `postgres://runbook:${encodeURIComponent(DB_PASSWORD)}@127.0.0.1:${closedPort}/runbook`,
            REDIS_URL,
        }, "listening");

        const health = await service.get("/healthz");
        assert.strictEqual(health.status, 200);
        assert.deepStrictEqual(health.data.checks, { database: "fail", cache: "ok" });
        assert.strictEqual(health.data.status, "degraded");

        const items = await service.get("/api/items");
        assert.strictEqual(items.status, 503);
        assert.strictEqual(items.data.error, "database unavailable");
        assert.match(items.data.detail, /ECONNREFUSED/);

        const root = await service.get("/");
        assert.strictEqual(root.status, 200);
        assertRunbookHeaders(root, service, "GET / without a database");

        const ready = await service.get("/readyz");
        assert.strictEqual(ready.status, 503, "never ready before the database has answered");
        assert.strictEqual(ready.data.reason, "waiting for the database");
    });

    it("finishes an in-flight request on SIGTERM, refuses new connections, and exits 0", async () => {
        const service = await startService({ DATABASE_URL, REDIS_URL, SERVICE_WORK_MS: "1500" });
        const started = Date.now();
        const inFlight = service.get("/");
        await new Promise((resolve) => setTimeout(resolve, 300)); // the request is now in the handler
        assert.ok(service.child.kill("SIGTERM"));
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.strictEqual(await isListening(service.port), false, "still accepting connections while draining");

        const res = await inFlight;
        assert.strictEqual(res.status, 200);
        assert.deepStrictEqual(res.data, { version: VERSION, color: "green", instance: 0 });
        assert.ok(Date.now() - started >= 1500, `answered after ${Date.now() - started} ms`);

        const exit = await exitWithin(service, 10_000);
        assert.deepStrictEqual(exit, { code: 0, signal: null }, service.output());
        const events = service.events().map((e) => e.event);
        assert.deepStrictEqual(events.filter((e) => ["start", "ready", "shutdown", "stopped"].includes(e as string)),
            ["start", "ready", "shutdown", "stopped"]);
    });
});
