// How the policy pack reads the aws target's resources: role, color and service are tags.
import { ROLE_TAG, isRole } from "../../roles";
import type { SeenResource, TargetResources } from "../target";

function tag(r: SeenResource, key: string): string | undefined {
  if (!r.type.startsWith("aws:")) return undefined;
  for (const field of ["tags", "tagsAll"]) {
    const v = (r.props[field] as Record<string, unknown> | undefined)?.[key];
    if (typeof v === "string") return v;
  }
  return undefined;
}

export const awsResources: TargetResources = {
  roleOf: (r) => {
    const role = tag(r, ROLE_TAG);
    return isRole(role) ? role : undefined;
  },
  colorOf: (r) => tag(r, "color"),
  serviceOf: (r) => tag(r, "app"),
};
