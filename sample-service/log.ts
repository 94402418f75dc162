// Lifecycle log: one JSON line per event on stdout, so the deployment tool and the tests can
// parse it. Callers pass only redacted values (see redactUrl); nothing here inspects fields.

export interface LogContext {
    version: string;
    color: string;
    instance: number;
    port: number;
}

export type LogFields = Record<string, unknown>;

export function logEvent(context: LogContext | undefined, event: string, fields: LogFields = {}): void {
    const line = { time: new Date().toISOString(), event, ...context, ...fields };
    process.stdout.write(`${JSON.stringify(line)}\n`);
}
