// Which gate checks a target can run, from the config keys that enable them.
import { CHECK_NAMES, CheckName } from "../gates/gate-config";
import type { GateCheckSupport } from "./target";

/**
 * `needs` lists, for each check that needs an address, the value configured (if any) and its key;
 * every other check always runs.
 */
export function gateCheckSupport(needs: [CheckName, string | undefined, string][], unsupported: GateCheckSupport["unsupported"] = {}): GateCheckSupport {
  const missing: GateCheckSupport["missing"] = {};
  for (const [check, value, key] of needs) if (!value) missing[check] = key;
  return { runnable: CHECK_NAMES.filter((c) => !missing[c] && !unsupported?.[c]), missing, unsupported };
}
