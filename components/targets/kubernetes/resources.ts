// How the policy pack reads the kubernetes target's objects: role, color and service are labels.
import { ROLE_LABEL, isRole } from "../../roles";
import type { SeenResource, TargetResources } from "../target";

function label(r: SeenResource, key: string): string | undefined {
  if (!r.type.startsWith("kubernetes:")) return undefined;
  const metadata = r.props.metadata as { labels?: Record<string, unknown> } | undefined;
  const v = metadata?.labels?.[key];
  return typeof v === "string" ? v : undefined;
}

export const kubernetesResources: TargetResources = {
  roleOf: (r) => {
    const role = label(r, ROLE_LABEL);
    return isRole(role) ? role : undefined;
  },
  colorOf: (r) => label(r, "color"),
  serviceOf: (r) => label(r, "app"),
};
