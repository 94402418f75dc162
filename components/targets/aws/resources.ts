// How the policy pack reads the aws target's resources: role, color and service are tags.
import { ROLE_TAG } from "../../roles";
import { markerReader } from "../marker-reader";

export const awsResources = markerReader(
  (r, key) => {
    if (!r.type.startsWith("aws:")) return undefined;
    for (const field of ["tags", "tagsAll"]) {
      const v = (r.props[field] as Record<string, unknown> | undefined)?.[key];
      if (typeof v === "string") return v;
    }
    return undefined;
  },
  { role: ROLE_TAG, color: "color", service: "app" },
);
