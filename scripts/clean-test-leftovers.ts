// Removes processes left behind by throwaway test and benchmark stacks of an interrupted earlier
// run (their backends were temp folders, so no `pulumi destroy` can reach them any more). Only
// programs of `test-*` and `bench-*` stacks are touched.
import { stackPrefix } from "../components/targets/local/names";
import { Supervisor } from "../components/targets/local/supervisor";

async function main() {
  const sup = new Supervisor();
  // The throwaway stacks are named `test-*` (test/integration/harness.ts) and `bench-*` (bench/).
  const stale = [...(await sup.programNames(`${stackPrefix("test")}-`)), ...(await sup.programNames(`${stackPrefix("bench")}-`))];
  for (const name of stale) await sup.removeProgram(name);
  if (stale.length) console.log(`removed ${stale.length} leftover test processes: ${stale.join(", ")}`);
}

main().catch((e) => {
  console.error(`could not clean leftover test processes: ${(e as Error).message}`);
  process.exitCode = 1;
});
