// The engine's floor for the benchmark: a stack of exactly one resource, a dynamic resource whose
// provider does nothing, so a no-op `pulumi up` measures the engine, the language host, the
// program's start-up and one provider, and nothing of this project's work.
// The stack's `bench-noop:style` picks how the resource is declared: `project` (the default), the
// way every dynamic resource of this project is (components/dynamic/lazy-provider.ts: the provider
// loaded from a module, no closure serialization), or `sdk`, `pulumi.dynamic.Resource` with an
// inline provider that the SDK serializes, as the floor was measured before it was cut.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LazyDynamicResource } from "../../components/dynamic/lazy-provider";

function configuredStyle(): string | undefined {
  try {
    return new pulumi.Config().get("style");
  } catch {
    return undefined; // a stack with no config at all: the SDK has no config object to read
  }
}

const style = configuredStyle() ?? "project";
if (style !== "project" && style !== "sdk") throw new Error(`bench-noop:style must be project or sdk (got ${JSON.stringify(style)})`);

if (style === "sdk") {
  const provider: pulumi.dynamic.ResourceProvider = {
    async create(inputs) {
      return { id: "one", outs: inputs };
    },
  };
  new (class Nothing extends pulumi.dynamic.Resource {
    constructor(name: string) {
      super(provider, name, { value: 1 });
    }
  })("one");
} else {
  new LazyDynamicResource({ module: path.join(__dirname, "nothing-provider.js"), export: "nothingProvider" }, "one", { value: 1 });
}
