// The provider of the floor's one resource: it does nothing.
import type * as pulumi from "@pulumi/pulumi";

export const nothingProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    return { id: "one", outs: inputs };
  },
};
