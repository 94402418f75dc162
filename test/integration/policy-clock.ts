// Integration tests judge promotions at a fixed policy clock (a Wednesday inside the default
// deployment window), so the suite passes on any day of the week.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const WEDNESDAY_NOON = "2026-11-25T12:00:00Z";

export function writePolicyConfig(config: Record<string, unknown>): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "runbook-policy-")), "policy-config.json");
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** Environment for `npm run pulumi` that applies the pack with the clock fixed to Wednesday noon. */
export const POLICY_ENV = {
  RUNBOOK_POLICY_CONFIG: writePolicyConfig({ "deployment-window": { now: WEDNESDAY_NOON } }),
};
