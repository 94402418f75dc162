// Loaded with `--require` (NODE_OPTIONS, set by engine-env.js) into every Node.js process the engine
// starts: the program, the policy pack and the dynamic providers. Each of them loads
// @pulumi/pulumi, which cost about 0.9 s of CPU before doing anything, and the three start one
// after another on every `up` (twice with a preview). About half of that was two modules that
// @pulumi/pulumi requires up front and an `up` of this project never uses: `typescript` (only
// the closure serializer parses functions with it, and components/dynamic/lazy-provider.ts no
// longer serializes closures) and `@npmcli/arborist` (only for packaging code paths). Here they
// load on first use instead. (A V8 code cache, v8-compile-cache, saved another 0.1 s per process
// but compiles Node 20's require(esm) files as CommonJS, which broke a provider: left out.)
// Plain JavaScript: it runs before and outside the build.
"use strict";
const Module = require("module");
const path = require("path");

const LAZY = new Set(["typescript", "@npmcli/arborist"]);
const PULUMI_SDK = `${path.sep}@pulumi${path.sep}pulumi${path.sep}`;
const load = Module._load;

/** A stand-in for a module's exports that requires the module when a property is first read. */
function lazyExports(request, parent) {
  let real;
  const resolve = () => (real ??= load.call(Module, request, parent, false));
  return new Proxy(
    {},
    {
      // `__importStar` returns an ES module as it is, instead of copying (reading) every export.
      get: (_, key) => (real === undefined && key === "__esModule" ? true : Reflect.get(resolve(), key)),
      has: (_, key) => Reflect.has(resolve(), key),
      ownKeys: () => Reflect.ownKeys(resolve()),
      getOwnPropertyDescriptor: (_, key) => {
        const d = Reflect.getOwnPropertyDescriptor(resolve(), key);
        return d && { ...d, configurable: true };
      },
      set: (_, key, value) => Reflect.set(resolve(), key, value),
    },
  );
}

Module._load = function (request, parent, isMain) {
  if (LAZY.has(request) && parent && typeof parent.filename === "string" && parent.filename.includes(PULUMI_SDK)) {
    return lazyExports(request, parent);
  }
  return load.apply(this, arguments);
};
