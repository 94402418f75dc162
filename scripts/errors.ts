// npm run errors -- --env <stack> [--color blue|green] [--since 10m] [--json]
// The runbook's `grep ERROR /var/log/app/* | ... | sort | uniq -c | sort -nr`: the sample service's
// ERROR lines of the last --since (10 minutes by default), counted by reason and release.
import { errorDistribution, formatErrorDistribution } from "../components/troubleshoot/error-distribution";
import { runMain } from "./cli-args";
import { openServiceLogs } from "./service-logs";
import { readStack } from "./stack-info";
import { parseTroubleshootArgs } from "./troubleshoot-args";

async function main(): Promise<number> {
  const req = parseTroubleshootArgs("errors", process.argv.slice(2));
  const logs = await openServiceLogs(readStack(req.stack));
  const d = errorDistribution(await logs.read({ colors: req.colors, sinceMs: req.sinceMs }));
  process.stdout.write(req.json ? `${JSON.stringify(d, null, 2)}\n` : formatErrorDistribution(d));
  return 0;
}

runMain(main);
