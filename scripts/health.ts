// `npm run health -- --env <stack> [--check <name>] [--color blue|green] [--verbose] [--json]`:
// the runbook's health_check.py. Runs the same checks as the health gates against the colors that
// serve traffic (or the one given), reading the stack's config. Exit 0 only when every selected
// check passes.
import { CHECK_NAMES, CheckName } from "../components/gates/gate-config";
import { CheckResult } from "../components/gates/checks/types";
import { prometheusMetrics } from "../components/gates/prometheus-spec";
import { allPassed, formatResults, runChecks } from "../components/gates/run-checks";
import * as paths from "../components/targets/local/paths";
import { COLORS, Color, otherColor } from "../components/types";
import { UsageError, parseFlags, runMain } from "./cli-args";
import { readStack } from "./stack-info";

const USAGE = `npm run health -- --env <stack> [--check ${CHECK_NAMES.join("|")}] [--color blue|green] [--verbose] [--json]`;

async function main(): Promise<number> {
  const flags = parseFlags(
    process.argv.slice(2),
    {
      env: { type: "string", description: "stack" },
      check: { type: "string", description: "one check", choices: CHECK_NAMES },
      color: { type: "string", description: "one color", choices: COLORS },
      verbose: { type: "boolean", description: "details" },
      json: { type: "boolean", description: "one JSON object" },
    },
    USAGE,
  );
  if (!flags.env) throw new UsageError(`--env is required\nusage: ${USAGE}`);
  const stack = readStack(flags.env);
  if (stack.config.target !== "local") {
    throw new UsageError(`--env ${flags.env}: stack targets ${stack.config.target}; this machine can only reach the local target (see README)`);
  }
  const traffic = stack.outputs.traffic as Record<Color, number> | undefined;
  const url = stack.outputs.url as string | undefined;
  if (!traffic || !url) throw new Error(`stack ${flags.env} has not been deployed yet (no url/traffic outputs): run npm run pulumi -- up -s ${flags.env}`);
  const colors: Color[] = flags.color ? [flags.color as Color] : COLORS.filter((c) => traffic[c] > 0);
  const selected: CheckName[] = flags.check ? [flags.check as CheckName] : [...stack.config.gates.checks];

  for (const color of colors) {
    if (!stack.config[color].version) throw new UsageError(`--color ${color}: ${color} runs no release in stack ${flags.env}`);
  }
  // Colors are checked side by side: each analysis window takes the same wall time.
  const perColor = await Promise.all(colors.map(async (color) => {
    const version = stack.config[color].version!;
    const other = otherColor(color);
    const baselineVersion = stack.config[other].version;
    const rs = await runChecks(
      {
        stack: flags.env!,
        service: stack.config.service.name,
        routerUrl: url,
        color,
        version,
        baseline: baselineVersion && traffic[other] > 0 ? { color: other, version: baselineVersion } : undefined,
        databaseUrl: paths.postgresAdminUrl(),
        redisUrl: paths.redisUrl(),
        metrics: prometheusMetrics(paths.prometheusUrl()),
        // The disk the local target's releases, logs and backups are on, as its gates judge it.
        hostDiskPath: paths.stateDir(),
        config: stack.config.gates,
      },
      selected,
    );
    return rs.map((r) => ({ ...r, color, version }));
  }));
  const results: (CheckResult & { color: Color; version: string })[] = perColor.flat();
  const ok = allPassed(results);
  if (flags.json) {
    console.log(JSON.stringify({ stack: flags.env, url, traffic, passed: ok, checks: results }, null, 2));
  } else {
    console.log(`health of stack ${flags.env} (${url}; blue ${traffic.blue}% / green ${traffic.green}%)`);
    for (const color of colors) {
      const mine = results.filter((r) => r.color === color);
      console.log(`${color} ${mine[0]?.version ?? ""}:`);
      console.log(formatResults(mine, Boolean(flags.verbose)).replace(/^/gm, "  "));
    }
    console.log(ok ? "all checks passed" : "some checks failed");
  }
  return ok ? 0 : 1;
}

runMain(main);
