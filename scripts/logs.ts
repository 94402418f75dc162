// npm run logs -- --env <stack> [--color blue|green] [--since 10m] [--follow]
// The runbook's `kubectl logs -f deployment/app-name` (and `kubectl get events` on kubernetes):
// every instance's lines, merged by time, each after the instance that wrote it.
import type { LogLine } from "../components/targets/service-logs";
import { runMain } from "./cli-args";
import { openServiceLogs } from "./service-logs";
import { readStack } from "./stack-info";
import { parseTroubleshootArgs } from "./troubleshoot-args";

function print(l: LogLine): void {
  process.stdout.write(`${l.source} ${l.text}\n`);
}

async function main(): Promise<number> {
  const req = parseTroubleshootArgs("logs", process.argv.slice(2));
  const logs = await openServiceLogs(readStack(req.stack));
  const q = { colors: req.colors, sinceMs: req.sinceMs };
  if (!req.follow) {
    const lines = await logs.read(q);
    lines.forEach(print);
    if (logs.events) process.stdout.write(`---- events ----\n${await logs.events()}`);
    if (!lines.length) process.stderr.write(`no log lines from ${req.colors.join(" or ")} of stack ${req.stack}${req.sinceMs ? " in that time" : ""}\n`);
    return 0;
  }
  // --follow: what is there within --since first, then new lines until Ctrl-C.
  if (req.sinceMs !== undefined) (await logs.read(q)).forEach(print);
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  process.once("SIGTERM", () => stop.abort());
  await logs.follow({ colors: req.colors }, print, stop.signal);
  return 0;
}

runMain(main);
