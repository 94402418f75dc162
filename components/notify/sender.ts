// Delivery of notifications to one receiver: a queue that POSTs them in order in the background,
// each attempt with a timeout, retried with exponential backoff and jitter on a 5xx, 429, timeout or
// connection error, never throwing to whoever enqueued. Nothing here keeps a process alive (sockets
// and timers are unref'd): a command that ends calls `close` after waiting at most its bound for
// `idle`, so a receiver that hangs costs that bound and no more. Log lines name the receiver by
// its host only: a webhook's path and query are its credential.
import * as http from "http";
import * as https from "https";

export interface Outgoing {
  /** What log lines call it (the template and event), never the URL. */
  label: string;
  /** The request of one attempt at `now` (the signed webhook signs each attempt at its own time). */
  build(now: number): { body: string; headers: Record<string, string> };
}

export interface AttemptResult {
  ok: boolean;
  /** Worth another attempt: a 5xx, 429 or 408, a timeout, a connection error. */
  retryable: boolean;
  /** "HTTP 500", "timed out after 2000 ms", "ECONNREFUSED". */
  detail: string;
}

/** `https://hooks.example.com/…`: scheme and host of a URL, without credentials, path or query. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const more = u.pathname !== "/" || u.search || u.hash ? "/…" : "";
    return `${u.protocol}//${u.host}${more}`;
  } catch {
    return "(an unparsable URL)";
  }
}

/** Milliseconds to wait before retry `n` (0 for the first): half of base·2ⁿ fixed, half random, at most `maxMs`. */
export function backoffMs(n: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** n);
  return Math.round(exp / 2 + (exp / 2) * random());
}

/**
 * One POST. Resolves (never rejects) when the status line arrives, the time is up, or the request
 * fails; `track` receives a function that aborts it.
 */
export function postOnce(url: string, body: string, headers: Record<string, string>, timeoutMs: number, track: (abort: () => void) => void = () => undefined): Promise<AttemptResult> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (r: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    let req: http.ClientRequest;
    try {
      const u = new URL(url);
      const lib = u.protocol === "https:" ? https : http;
      // No keep-alive pool: an idle pooled socket would hold the command open after its last send.
      req = lib.request(u, { method: "POST", agent: false, headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), connection: "close", "user-agent": "deployment-runbook", ...headers } });
    } catch (e) {
      resolve({ ok: false, retryable: false, detail: `bad request (${(e as NodeJS.ErrnoException).code ?? "invalid URL"})` });
      return;
    }
    const timer = setTimeout(() => {
      settle({ ok: false, retryable: true, detail: `timed out after ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    timer.unref();
    track(() => {
      settle({ ok: false, retryable: false, detail: "aborted" });
      req.destroy();
    });
    req.on("socket", (s) => s.unref());
    req.on("response", (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      res.on("error", () => undefined);
      settle({ ok: status >= 200 && status < 300, retryable: status >= 500 || status === 429 || status === 408, detail: `HTTP ${status}` });
    });
    // Error codes and messages name the host at most, never the path.
    req.on("error", (e: NodeJS.ErrnoException) => settle({ ok: false, retryable: true, detail: e.code ?? e.message }));
    req.end(body);
  });
}

export interface QueueOptions {
  /** The receiver's URL (a secret: only `redactUrl` of it is ever printed). */
  url: string;
  /** "slack" or "webhook", in log lines. */
  name: string;
  timeoutMs: number;
  /** Attempts after the first. */
  retries: number;
  /** First backoff before jitter. Defaults to 250. */
  baseDelayMs?: number;
  /** Longest backoff. Defaults to 4000. */
  maxDelayMs?: number;
  random?: () => number;
  /** Where a notification that could not be delivered is reported, one line. Defaults to stderr. */
  log?: (line: string) => void;
}

export interface QueueStats {
  sent: number;
  /** Given up on: not 2xx after every attempt, or a status not worth retrying. */
  failed: number;
  /** Not sent when the queue was closed (still queued, or in flight). */
  dropped: number;
}

export class SendQueue {
  private readonly items: Outgoing[] = [];
  private running = false;
  private inFlight = false;
  private closed = false;
  private readonly aborts = new Set<() => void>();
  private idleWaiters: (() => void)[] = [];
  readonly stats: QueueStats = { sent: 0, failed: 0, dropped: 0 };

  constructor(private readonly o: QueueOptions) {}

  /** "slack https://hooks.example.com/…": how messages name this receiver. */
  get receiver(): string {
    return `${this.o.name} ${redactUrl(this.o.url)}`;
  }

  /** Queues `n` behind the others; returns at once. */
  enqueue(n: Outgoing): void {
    if (this.closed) {
      this.stats.dropped++;
      return;
    }
    this.items.push(n);
    if (!this.running) {
      this.running = true;
      // The caller (an event being recorded) goes on before any I/O starts.
      setImmediate(() => void this.drain());
    }
  }

  /** Notifications not yet delivered or given up on, the one in flight included. */
  get pending(): number {
    return this.items.length + (this.inFlight ? 1 : 0);
  }

  /** Resolves when everything queued so far was delivered or given up on. */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Stops: what is queued is dropped, what is in flight is aborted. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Counted now: the caller reads the stats right after (the aborted attempt settles later).
    this.stats.dropped += this.items.length + (this.inFlight ? 1 : 0);
    this.items.length = 0;
    for (const abort of [...this.aborts]) abort();
  }

  private log(line: string): void {
    try {
      (this.o.log ?? ((l) => process.stderr.write(`${l}\n`)))(line);
    } catch {
      // nowhere left to say it
    }
  }

  private async drain(): Promise<void> {
    try {
      while (this.items.length && !this.closed) {
        this.inFlight = true;
        await this.deliver(this.items.shift()!);
        this.inFlight = false;
      }
    } finally {
      this.running = false;
      this.inFlight = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async deliver(n: Outgoing): Promise<void> {
    const where = this.receiver;
    for (let attempt = 0; ; attempt++) {
      // Closed during a backoff: counted as dropped, no further attempt.
      if (this.closed) return;
      let result: AttemptResult;
      try {
        const { body, headers } = n.build(Date.now());
        let abort: (() => void) | undefined;
        result = await postOnce(this.o.url, body, headers, this.o.timeoutMs, (a) => {
          abort = a;
          this.aborts.add(a);
        });
        if (abort) this.aborts.delete(abort);
      } catch (e) {
        result = { ok: false, retryable: false, detail: (e as Error).message };
      }
      // Closed meanwhile: already counted as dropped.
      if (this.closed) return;
      if (result.ok) {
        this.stats.sent++;
        return;
      }
      const detail = result.detail.split(this.o.url).join(redactUrl(this.o.url));
      if (!result.retryable || attempt >= this.o.retries) {
        this.stats.failed++;
        this.log(`warning: notification ${n.label} to ${where} not delivered after ${attempt + 1} attempt${attempt ? "s" : ""} (${detail})`);
        return;
      }
      await this.sleep(backoffMs(attempt, this.o.baseDelayMs ?? 250, this.o.maxDelayMs ?? 4000, this.o.random));
    }
  }

  /** A backoff that `close` cuts short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.aborts.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.aborts.add(done);
    });
  }
}
