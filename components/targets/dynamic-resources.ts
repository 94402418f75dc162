// How the policy pack reads Node.js dynamic resources (the gates, the record, and every resource of
// the local target): each carries its role, color and service as plain properties.
import { DYNAMIC_TYPE, ROLE_PROPERTY, isRole } from "../roles";
import type { SeenResource, TargetResources } from "./target";

const prop = (r: SeenResource, key: string): string | undefined => {
  if (r.type !== DYNAMIC_TYPE) return undefined;
  const v = r.props[key];
  return typeof v === "string" ? v : undefined;
};

/** Reads dynamic resources' own properties. */
export const dynamicResources: TargetResources = {
  roleOf: (r) => {
    const role = prop(r, ROLE_PROPERTY);
    return isRole(role) ? role : undefined;
  },
  colorOf: (r) => prop(r, "color"),
  serviceOf: (r) => prop(r, "service"),
};
