// How the policy pack reads the kubernetes target's objects: role, color and service are labels.
import { ROLE_LABEL } from "../../roles";
import { markerReader } from "../marker-reader";

export const kubernetesResources = markerReader(
  (r, key) => {
    if (!r.type.startsWith("kubernetes:")) return undefined;
    const v = (r.props.metadata as { labels?: Record<string, unknown> } | undefined)?.labels?.[key];
    return typeof v === "string" ? v : undefined;
  },
  { role: ROLE_LABEL, color: "color", service: "app" },
);
