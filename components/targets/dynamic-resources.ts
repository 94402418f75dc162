// How the policy pack reads Node.js dynamic resources (the gates, the record, and every resource of
// the local target): each carries its role, color and service as plain properties.
import { DYNAMIC_TYPE, ROLE_PROPERTY } from "../roles";
import { markerReader } from "./marker-reader";

export const dynamicResources = markerReader(
  (r, key) => {
    const v = r.type === DYNAMIC_TYPE ? r.props[key] : undefined;
    return typeof v === "string" ? v : undefined;
  },
  { role: ROLE_PROPERTY, color: "color", service: "service" },
);
