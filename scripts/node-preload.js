// Loaded with `--require` (NODE_OPTIONS, set by engine-env.js) into every Node.js process the engine
// starts: the program, the policy pack and the dynamic providers. Each of them loads
// @pulumi/pulumi, which cost about 0.9 s of CPU before doing anything, and the three start one
// after another on every `up` (twice with a preview). About half of that was two modules that
// @pulumi/pulumi requires up front and an `up` of this project never uses: `typescript` (only
// the closure serializer parses functions with it, and components/dynamic/lazy-provider.ts no
// longer serializes closures) and `@npmcli/arborist` (only for packaging code paths); likewise the
// Automation API (`pulumi.automation`, with execa and js-yaml) and `normalize-package-data` (the
// closure serializer's), which no engine-started process of this project uses. Here they load on
// first use instead. (A V8 code cache, v8-compile-cache, saved another 0.1 s per process
// but compiles Node 20's require(esm) files as CommonJS, which broke a provider: left out.)
// The SDK's policy-pack runner also registers ts-node for every pack, which loads all of
// `typescript` (ts-node reads the compiler's `sys` and a tsconfig at once): this project's pack is
// compiled JavaScript, so in that process the registration is skipped when the pack's entry is
// JavaScript. A pack written in TypeScript keeps the SDK's behaviour.
// The SDK's runners (program, policy pack, plugin) also open a V8 inspector session with the
// debugger enabled before they load anything, for the closure serializer; with the debugger on,
// every module after it compiles slower. The closure serializer opens the same session itself on
// first use (enabling the debugger replays every script already parsed), so here it waits for that.
// Plain JavaScript: it runs before and outside the build.
"use strict";
const Module = require("module");
const fs = require("fs");
const path = require("path");

const LAZY = new Set(["typescript", "@npmcli/arborist", "./automation", "normalize-package-data"]);
const PULUMI_SDK = `${path.sep}@pulumi${path.sep}pulumi${path.sep}`;
const load = Module._load;

/** True in the SDK's policy-pack runner when the pack it loads is JavaScript (its last argument). */
function runsJavaScriptPack(argv) {
  if (!argv[1] || !/run-policy-pack(\/index\.js)?$/.test(argv[1].split(path.sep).join("/"))) return false;
  const target = argv[argv.length - 1];
  try {
    if (!fs.statSync(target).isDirectory()) return /\.c?js$/.test(target);
    const main = JSON.parse(fs.readFileSync(path.join(target, "package.json"), "utf8")).main ?? "index.js";
    return /\.c?js$/.test(main);
  } catch {
    return false; // unreadable: leave the SDK's behaviour alone
  }
}
const SKIP_TS_NODE = runsJavaScriptPack(process.argv);
const TS_NODE_STANDIN = Object.freeze({ VERSION: "not loaded (JavaScript policy pack)", register() {} });

/** `typescript`'s version, read from its package.json, so reading it loads nothing. */
function packageVersion(request, parent) {
  try {
    return JSON.parse(fs.readFileSync(Module._resolveFilename(`${request}/package.json`, parent), "utf8")).version;
  } catch {
    return undefined;
  }
}

/** A stand-in for a module's exports that requires the module when a property is first read. */
function lazyExports(request, parent) {
  let real;
  const resolve = () => (real ??= load.call(Module, request, parent, false));
  return new Proxy(
    {},
    {
      // `__importStar` returns an ES module as it is, instead of copying (reading) every export.
      get: (_, key) => {
        if (real === undefined && key === "__esModule") return true;
        // The SDK logs and checks typescript's version before it decides to use it.
        if (real === undefined && key === "version") return packageVersion(request, parent) ?? Reflect.get(resolve(), key);
        return Reflect.get(resolve(), key);
      },
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

const SDK_RUNNERS = `${PULUMI_SDK}cmd${path.sep}`;
const V8_HOOKS_STANDIN = Object.freeze({ isInitializedAsync: async () => undefined });

Module._load = function (request, parent, isMain) {
  if (request.endsWith("/runtime/closure/v8Hooks") && parent && typeof parent.filename === "string" && parent.filename.includes(SDK_RUNNERS)) {
    return V8_HOOKS_STANDIN;
  }
  if (SKIP_TS_NODE && (request === "ts-node" || /[\\/]vendor[\\/]ts-node@[^\\/]+$/.test(request))) {
    return TS_NODE_STANDIN;
  }
  if (LAZY.has(request) && parent && typeof parent.filename === "string" && parent.filename.includes(PULUMI_SDK)) {
    return lazyExports(request, parent);
  }
  return load.apply(this, arguments);
};
