// Dynamic providers are serialized into the state as closures. Serializing a whole implementation
// (its imports, classes, clients) is slow and brittle, so every provider here is a thin closure that
// captures only the absolute path of a compiled module and requires it in the provider process.
import * as pulumi from "@pulumi/pulumi";

type Impl = Required<Pick<pulumi.dynamic.ResourceProvider, "create">> & pulumi.dynamic.ResourceProvider;

/**
 * A provider that loads `exportName` from `modulePath` (an absolute path of compiled JavaScript)
 * on first use. Methods the implementation lacks fall back to the engine's defaults.
 */
export function lazyProvider(modulePath: string, exportName: string): pulumi.dynamic.ResourceProvider {
  const load = (): Impl => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const impl = require(modulePath)[exportName] as Impl | undefined;
    if (!impl) throw new Error(`${modulePath} does not export ${exportName}`);
    return impl;
  };
  return {
    async check(olds, news) {
      const impl = load();
      return impl.check ? impl.check(olds, news) : { inputs: news };
    },
    async diff(id, olds, news) {
      const impl = load();
      return impl.diff ? impl.diff(id, olds, news) : {};
    },
    async create(inputs) {
      return load().create(inputs);
    },
    async read(id, props) {
      const impl = load();
      return impl.read ? impl.read(id, props) : { id, props };
    },
    async update(id, olds, news) {
      const impl = load();
      return impl.update ? impl.update(id, olds, news) : { outs: news };
    },
    async delete(id, props) {
      const impl = load();
      if (impl.delete) await impl.delete(id, props);
    },
  };
}
