// The dashboard's web server: static files the project built, a JSON snapshot of every stack,
// server-sent events that push a new snapshot when anything changed (and the selected stack's
// metrics), and, only when started with actions allowed, the operator's verbs, each run as the
// very CLI command a person would type. Bound to 127.0.0.1. Read-only servers refuse every request
// that is not a GET or HEAD.
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { readMetricsRange } from "./metrics-range";
import { ProjectLocation, StackView, listStacks, readPostmortemFile, readStack } from "./stack-view";

export const ACTIONS = ["pause", "resume", "promote", "abort", "rollback"] as const;
export type Action = (typeof ACTIONS)[number];

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface DashboardOptions {
  loc: ProjectLocation;
  port: number;
  /** Allow the operator's verbs (off by default: the page then offers none). */
  actions: boolean;
  /** The folder of built static files (index.html, app.js, vendor/...). */
  staticDir: string;
  /** Runs `npm run <command> -- <args>` (the built CLI) and returns its result. */
  runCli: (command: string, args: string[]) => Promise<CliResult>;
  /** How often the snapshot is re-read for the event stream. Defaults to 1000 ms. */
  pollMs?: number;
  /** How often the selected stack's metrics are pushed. Defaults to 2000 ms. */
  metricsMs?: number;
}

/** The npm command and arguments an action runs: exactly what the CLI's user would type. */
export function actionCommand(action: Action, stack: string): { command: string; args: string[] } {
  // A rollback from the page is the emergency path: it may stop a running deploy, as
  // `npm run rollback -- --take-over` does from a terminal.
  if (action === "rollback") return { command: "rollback", args: ["--env", stack, "--take-over"] };
  return { command: "rollout", args: [action, "--env", stack] };
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

function send(res: http.ServerResponse, status: number, body: unknown, type = "application/json; charset=utf-8"): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff" });
  res.end(text);
}

function readBody(req: http.IncomingMessage, limit = 16 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.on("data", (d: Buffer) => {
      body += d.toString("utf8");
      if (body.length > limit) reject(new Error(`request body over ${limit} bytes`));
    });
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const pollMs = o.pollMs ?? 1000;
  const metricsMs = o.metricsMs ?? 2000;

  const snapshot = async (): Promise<{ actions: boolean; at: string; stacks: StackView[] }> => ({
    actions: o.actions,
    at: new Date().toISOString(),
    stacks: await Promise.all(listStacks(o.loc).map((s) => readStack(o.loc, s))),
  });

  const metricsOf = async (stack: string) => {
    const view = await readStack(o.loc, stack);
    if (!view.prometheusUrl) return { stack, error: `no metrics source for the ${view.target} target` };
    try {
      return { stack, limits: view.limits, stable: view.stable, ...(await readMetricsRange(view.prometheusUrl, stack, view.service)) };
    } catch (e) {
      return { stack, error: `Prometheus at ${view.prometheusUrl}: ${(e as Error).message}` };
    }
  };

  // One poller for every open event stream: a changed snapshot is pushed to all of them.
  const clients = new Set<{ res: http.ServerResponse; stack?: string; timer?: NodeJS.Timeout }>();
  let last = "";
  let polling = false;
  const poll = setInterval(async () => {
    if (!clients.size || polling) return;
    polling = true;
    try {
      const s = await snapshot();
      const { at: _at, ...comparable } = s;
      const key = JSON.stringify(comparable);
      if (key !== last) {
        last = key;
        for (const c of clients) c.res.write(`event: state\ndata: ${JSON.stringify(s)}\n\n`);
      }
    } finally {
      polling = false;
    }
  }, pollMs);
  poll.unref();

  const staticFile = (urlPath: string): string | undefined => {
    const rel = urlPath === "/" ? "index.html" : decodeURIComponent(urlPath.slice(1));
    const file = path.resolve(o.staticDir, rel);
    // Only files inside the built folder.
    if (!file.startsWith(path.resolve(o.staticDir) + path.sep)) return undefined;
    return fs.existsSync(file) && fs.statSync(file).isFile() ? file : undefined;
  };

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      if (req.method !== "GET" && req.method !== "HEAD") {
        if (!o.actions) return send(res, 403, { error: "this dashboard is read-only: start it with --actions to allow pause, resume, promote, abort and rollback" });
        if (req.method !== "POST" || url.pathname !== "/api/actions") return send(res, 405, { error: `${req.method} ${url.pathname} is not allowed (allowed: POST /api/actions)` });
        return await handleAction(req, res);
      }
      if (url.pathname === "/api/state") return send(res, 200, await snapshot());
      if (url.pathname === "/api/metrics") {
        const stack = url.searchParams.get("stack") ?? "";
        if (!listStacks(o.loc).includes(stack)) return send(res, 404, { error: `stack ${JSON.stringify(stack)} is not a stack of this project (allowed: ${listStacks(o.loc).join(", ") || "none"})` });
        return send(res, 200, await metricsOf(stack));
      }
      if (url.pathname === "/api/postmortem") {
        const text = readPostmortemFile(o.loc, url.searchParams.get("stack") ?? "", url.searchParams.get("id") ?? "");
        return text === undefined ? send(res, 404, { error: "no such postmortem" }) : send(res, 200, text, "text/markdown; charset=utf-8");
      }
      if (url.pathname === "/api/events") return openStream(url, res);
      const file = staticFile(url.pathname);
      if (!file) return send(res, 404, { error: `not found: ${url.pathname}` });
      res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
      if (req.method === "HEAD") return res.end();
      fs.createReadStream(file).pipe(res);
    } catch (e) {
      send(res, 500, { error: (e as Error).message });
    }
  });

  async function openStream(url: URL, res: http.ServerResponse): Promise<void> {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
    const client: { res: http.ServerResponse; stack?: string; timer?: NodeJS.Timeout } = { res, stack: url.searchParams.get("stack") ?? undefined };
    clients.add(client);
    res.write(`event: state\ndata: ${JSON.stringify(await snapshot())}\n\n`);
    if (client.stack && listStacks(o.loc).includes(client.stack)) {
      const push = async () => res.write(`event: metrics\ndata: ${JSON.stringify(await metricsOf(client.stack!))}\n\n`);
      await push();
      client.timer = setInterval(() => void push().catch(() => undefined), metricsMs);
    }
    res.on("close", () => {
      if (client.timer) clearInterval(client.timer);
      clients.delete(client);
    });
  }

  async function handleAction(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // A page of another origin cannot post here: browsers send Origin on a cross-site POST.
    const origin = req.headers.origin;
    if (origin && origin !== `http://${req.headers.host}`) return send(res, 403, { error: `cross-origin request from ${origin} refused` });
    if (!/^application\/json\b/.test(req.headers["content-type"] ?? "")) return send(res, 415, { error: "send the action as application/json: {\"stack\": ..., \"action\": ...}" });
    let body: { stack?: unknown; action?: unknown };
    try {
      body = JSON.parse(await readBody(req)) as typeof body;
    } catch (e) {
      return send(res, 400, { error: `the body is not JSON: ${(e as Error).message}` });
    }
    const stacks = listStacks(o.loc);
    if (typeof body.stack !== "string" || !stacks.includes(body.stack)) return send(res, 400, { error: `stack ${JSON.stringify(body.stack)} is not a stack of this project (allowed: ${stacks.join(", ") || "none"})` });
    if (typeof body.action !== "string" || !(ACTIONS as readonly string[]).includes(body.action)) return send(res, 400, { error: `action ${JSON.stringify(body.action)} is not allowed (allowed: ${ACTIONS.join(", ")})` });
    const { command, args } = actionCommand(body.action as Action, body.stack);
    const r = await o.runCli(command, args);
    send(res, r.code === 0 ? 200 : 409, { command: `npm run ${command} -- ${args.join(" ")}`, ...r });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(poll);
        for (const c of clients) {
          if (c.timer) clearInterval(c.timer);
          c.res.end();
        }
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
