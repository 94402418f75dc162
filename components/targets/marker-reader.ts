// How the policy pack reads a target's markers, given where that target keeps them (dynamic
// properties, Kubernetes labels, AWS tags): one reader shape for every target.
import { isRole } from "../roles";
import type { SeenResource, TargetResources } from "./target";

/**
 * `read(r, key)` returns the marker `key` of a resource this target registered, or undefined for
 * any other resource; `keys` names the markers of the role, the color and the service.
 */
export function markerReader(read: (r: SeenResource, key: string) => string | undefined, keys: { role: string; color: string; service: string }): TargetResources {
  return {
    roleOf: (r) => {
      const role = read(r, keys.role);
      return isRole(role) ? role : undefined;
    },
    colorOf: (r) => read(r, keys.color),
    serviceOf: (r) => read(r, keys.service),
  };
}
