// `npm run lock -- acquire --env <stack> --message "..." | status --env <stack> | release --env <stack>`:
// a person freezes a stack (Kamal's lock). A frozen stack refuses `deploy` and `rollout resume`
// and still allows `rollback`. `release` lifts a freeze; a running rollout's lock is released by
// the rollout itself (or taken over by `rollback --take-over`).
import { rolloutFiles } from "../components/rollout/files";
import { currentHolder, describeHolder, lockDecision, processAlive, readLock, tryAcquire } from "../components/rollout/lock";
import * as fs from "fs";
import { STACK_NAME } from "./automation";
import { UsageError, parseFlags, runMain } from "./cli-args";

const USAGE = 'npm run lock -- acquire --env <stack> --message "<why>" | status --env <stack> [--json] | release --env <stack>';
const VERBS = ["acquire", "status", "release"] as const;

async function main(): Promise<number> {
  const [verb, ...rest] = process.argv.slice(2);
  if (!verb || !(VERBS as readonly string[]).includes(verb)) throw new UsageError(`${verb ? JSON.stringify(verb) : "a verb"} ${verb ? "is not allowed" : "is required"} (allowed: ${VERBS.join(", ")})\nusage: ${USAGE}`);
  const flags = parseFlags(
    rest,
    {
      env: { type: "string", description: "stack" },
      message: { type: "string", description: "why the stack is frozen" },
      json: { type: "boolean", description: "one JSON object" },
    },
    USAGE,
  );
  if (!flags.env) throw new UsageError(`--env is required\nusage: ${USAGE}`);
  if (!STACK_NAME.test(flags.env)) throw new UsageError(`--env ${JSON.stringify(flags.env)} is not a stack name (letters, digits, '.', '_' and '-')`);
  const files = rolloutFiles(flags.env);
  const held = readLock(files.lock);
  switch (verb) {
    case "status": {
      if (flags.json) process.stdout.write(`${JSON.stringify(held ? { locked: true, ...held, alive: processAlive(held.pid) } : { locked: false })}\n`);
      else process.stdout.write(held ? `${flags.env}: ${describeHolder(held)}${held.kind === "rollout" && !processAlive(held.pid) ? " (that process is gone: stale)" : ""}\n` : `${flags.env}: not locked\n`);
      return 0;
    }
    case "acquire": {
      if (!flags.message) throw new UsageError(`--message is required: say why the stack is frozen\nusage: ${USAGE}`);
      const decision = lockDecision("freeze", held, { stack: flags.env });
      if (decision.action === "refuse") throw new UsageError(decision.message);
      const got = tryAcquire(files.lock, currentHolder("freeze", flags.message));
      if (!got.ok) throw new UsageError(`stack ${flags.env} is ${describeHolder(got.held)}; not frozen`);
      process.stdout.write(`${flags.env}: frozen (deploy refused, rollback allowed) until npm run lock -- release --env ${flags.env}\n`);
      return 0;
    }
    default: {
      if (!held) {
        process.stdout.write(`${flags.env}: not locked\n`);
        return 0;
      }
      if (held.kind === "rollout" && processAlive(held.pid)) {
        throw new UsageError(`stack ${flags.env} is ${describeHolder(held)}; a running rollout's lock is not released by hand (npm run rollout -- abort --env ${flags.env}, or npm run rollback -- --env ${flags.env} --take-over)`);
      }
      fs.rmSync(files.lock, { force: true });
      process.stdout.write(`${flags.env}: released (was ${describeHolder(held)})\n`);
      return 0;
    }
  }
}

runMain(main);
