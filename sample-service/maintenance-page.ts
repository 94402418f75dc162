// The maintenance page as a tiny server, for routers that cannot answer by themselves: the
// kubernetes target points its HTTPRoute's default rule here while `maintenance` is on (Gateway API
// has no fixed-response filter). Every request on PORT gets 503, Retry-After, Cache-Control
// no-store and the page; its own readiness is on a second port (READY_PORT) that no Service
// exposes, so no user request can ever get a 200 from it.
//   MAINTENANCE_RETRY_AFTER  seconds, a positive integer. Defaults to 300.
//   MAINTENANCE_MESSAGE      one sentence. Defaults to the runbook's.
import * as http from "http";

export const DEFAULT_MESSAGE = "We are upgrading the service and will be back shortly.";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]);

/** The same page the local router serves. */
export function maintenanceHtml(message: string, retryAfterSeconds: number): string {
    return `<!doctype html>\n<html><head><meta charset="utf-8"><title>Down for maintenance</title></head>\n<body><h1>Down for maintenance</h1><p>${escapeHtml(message)}</p><p>Please try again in ${retryAfterSeconds} seconds.</p></body></html>\n`;
}

export interface PageConfig {
    port: number;
    readyPort: number;
    retryAfterSeconds: number;
    message: string;
}

/** Reads the environment; throws naming the variable and what it allows. */
export function parsePageConfig(env: NodeJS.ProcessEnv): PageConfig {
    const int = (name: string, fallback: number, min: number, max: number) => {
        const raw = env[name];
        if (raw === undefined || raw === "") return fallback;
        const n = Number(raw);
        if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name}=${JSON.stringify(raw)}: must be an integer from ${min} to ${max}`);
        return n;
    };
    return {
        port: int("PORT", 8080, 1, 65535),
        readyPort: int("READY_PORT", 8081, 1, 65535),
        retryAfterSeconds: int("MAINTENANCE_RETRY_AFTER", 300, 1, 86_400),
        message: env.MAINTENANCE_MESSAGE || DEFAULT_MESSAGE,
    };
}

export function pageServer(c: PageConfig): http.Server {
    const body = maintenanceHtml(c.message, c.retryAfterSeconds);
    return http.createServer((req, res) => {
        req.resume();
        res.writeHead(503, {
            "content-type": "text/html; charset=utf-8",
            "retry-after": String(c.retryAfterSeconds),
            "cache-control": "no-store",
            "content-length": Buffer.byteLength(body),
        });
        res.end(req.method === "HEAD" ? undefined : body);
    });
}

function main(): void {
    let c: PageConfig;
    try {
        c = parsePageConfig(process.env);
    } catch (e) {
        process.stderr.write(`maintenance-page: ${(e as Error).message}\n`);
        process.exit(2);
    }
    const page = pageServer(c).listen(c.port, process.env.HOST ?? "0.0.0.0");
    const ready = http.createServer((_req, res) => res.end("ok\n")).listen(c.readyPort, process.env.HOST ?? "0.0.0.0");
    process.stdout.write(`${JSON.stringify({ level: "info", event: "maintenance-page-listening", port: c.port, readyPort: c.readyPort, retryAfterSeconds: c.retryAfterSeconds })}\n`);
    const stop = () => {
        ready.close();
        page.close(() => process.exit(0));
        page.closeIdleConnections();
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
}

if (require.main === module) main();
