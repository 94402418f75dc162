// The engine's floor for the benchmark: a stack of exactly one resource, a dynamic resource whose
// provider does nothing, so a no-op `pulumi up` measures the engine, the language host, the
// program's start-up and one provider, and nothing of this project.
import * as pulumi from "@pulumi/pulumi";

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    return { id: "one", outs: inputs };
  },
};

class Nothing extends pulumi.dynamic.Resource {
  constructor(name: string) {
    super(provider, name, { value: 1 });
  }
}

new Nothing("one");
