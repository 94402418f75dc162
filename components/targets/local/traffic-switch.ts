// The emergency path of `npm run rollback` on the local target: write the router's split at once,
// the way its provider does (nginx -t, graceful reload, generation read back), from what the last
// `up` recorded in the state, without waiting for an `up`. The `up` that follows records the same
// split, so the stack converges with nothing further changed.
import { ROLE_PROPERTY, ROLES } from "../../roles";
import { Traffic, checkTraffic } from "../../types";
import { RouterInputs, applyWeights } from "./router-apply";

interface StateResource {
  type?: string;
  outputs?: Record<string, unknown>;
}

/** The router's recorded inputs in a stack export (`deployment.resources`), or undefined. */
export function routerInputsFromState(deployment: { resources?: StateResource[] }): RouterInputs | undefined {
  const r = (deployment.resources ?? []).find((x) => x.outputs?.[ROLE_PROPERTY] === ROLES.routerTraffic && typeof x.outputs?.nginxDir === "string");
  if (!r?.outputs) return undefined;
  const { __provider: _p, generation: _g, ...inputs } = r.outputs;
  return inputs as unknown as RouterInputs;
}

/** Applies `traffic` to the running router now; resolves once nginx serves it. */
export async function switchLocalRouter(inputs: RouterInputs, traffic: Traffic): Promise<void> {
  checkTraffic("rollback", traffic);
  for (const c of ["blue", "green"] as const) {
    if (traffic[c] > 0 && !inputs.upstreams[c]?.length) throw new Error(`rollback: ${c} has no running instances in the router's recorded state`);
  }
  await applyWeights({ ...inputs, traffic });
}
