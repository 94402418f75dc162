// Dynamic providers are serialized into the state as closures. Serializing a whole implementation
// (its imports, classes, clients) is slow and brittle, so every provider here is a thin closure that
// captures only the absolute path of a compiled module and requires it in the provider process.
//
// That path is stored in the state with each resource, and the engine loads a resource's delete
// from the stored one. So when the module moves (a new layout, a clone at another path), a
// resource whose inputs did not change must still take the new path into the state: its diff
// reports the move, and its update only re-homes it, with no side effect.
//
// The closure is not left to the SDK's serializer either: `pulumi.dynamic.Resource` serializes every
// provider by parsing its functions with TypeScript, which made TypeScript's load and the parsing a
// part of every `up`. `LazyDynamicResource` writes the same few lines the serializer would produce
// for such a provider (a module whose `handler` returns it) itself.
import * as pulumi from "@pulumi/pulumi";
import { DYNAMIC_TYPE } from "../roles";

const PROVIDER_KEY = "__provider";

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
      if (!impl.diff) return {};
      const result = await impl.diff(id, olds, news);
      return !result.changes && olds[PROVIDER_KEY] !== news[PROVIDER_KEY] ? { ...result, changes: true } : result;
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
      if (impl.diff && olds[PROVIDER_KEY] !== news[PROVIDER_KEY]) {
        const moved = await impl.diff(id, { ...olds, [PROVIDER_KEY]: news[PROVIDER_KEY] }, news);
        if (moved.changes === false) {
          // Only the module's path changed: keep the outputs (the SDK stores the new path).
          const { [PROVIDER_KEY]: _old, ...outs } = olds;
          return { outs };
        }
      }
      return impl.update ? impl.update(id, olds, news) : { outs: news };
    },
    async delete(id, props) {
      const impl = load();
      if (impl.delete) await impl.delete(id, props);
    },
  };
}

/** Where a dynamic resource's provider lives: a compiled module (absolute path) and its export. */
export interface ProviderModule {
  module: string;
  export: string;
}

/**
 * The `__provider` text of a resource whose provider is `p`: the module the engine's Node.js
 * dynamic provider loads (require-from-string) and asks for `handler()`. It names this module
 * (compiled) and `p`, so it changes only when one of them moves.
 */
export function providerSource(p: ProviderModule): string {
  const q = JSON.stringify;
  return `exports.handler = function () { return require(${q(__filename)}).lazyProvider(${q(p.module)}, ${q(p.export)}); };\n`;
}

/**
 * A Node.js dynamic resource (`pulumi-nodejs:dynamic:Resource`, as `pulumi.dynamic.Resource`
 * makes) whose provider is loaded from `provider` in the provider's process.
 */
export class LazyDynamicResource extends pulumi.CustomResource {
  constructor(provider: ProviderModule, name: string, props: Record<string, pulumi.Input<unknown>>, opts?: pulumi.CustomResourceOptions) {
    if (PROVIDER_KEY in props) throw new Error(`dynamic resource ${name}: ${PROVIDER_KEY} is reserved`);
    super(DYNAMIC_TYPE, name, { ...props, [PROVIDER_KEY]: providerSource(provider) }, opts);
  }
}
