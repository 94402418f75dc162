// The `__provider` text LazyDynamicResource writes instead of the SDK's serializer, loaded the way
// the engine's Node.js dynamic provider loads it, and the preload that keeps TypeScript, arborist,
// ts-node and the debugger out of every engine-started Node.js process until something uses them.
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { providerSource } from "../../components/dynamic/lazy-provider";

const ROOT = path.resolve(__dirname, "..", "..", "..");
// The loader the engine's dynamic provider uses (a dependency of @pulumi/pulumi).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const requireFromString = require(require.resolve("require-from-string", { paths: [path.join(ROOT, "node_modules", "@pulumi", "pulumi")] })) as (code: string) => {
  handler(): { create(inputs: Record<string, unknown>): Promise<{ id: string; outs: Record<string, unknown> }> };
};

describe("dynamic resources without the closure serializer", () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "runbook-provider-source-"));
    fs.writeFileSync(path.join(dir, "impl.js"), 'exports.made = { async create(inputs) { return { id: "x-" + inputs.n, outs: { twice: inputs.n * 2 } }; } };\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("the provider text loads in a provider process and delegates to the module's export", async () => {
    const text = providerSource({ module: path.join(dir, "impl.js"), export: "made" });
    const provider = requireFromString(text).handler();
    assert.deepEqual(await provider.create({ n: 21 }), { id: "x-21", outs: { twice: 42 } });
  });

  it("names the module and export, so a move changes the text (and the resource's diff)", () => {
    const a = providerSource({ module: path.join(dir, "impl.js"), export: "made" });
    assert.notEqual(a, providerSource({ module: path.join(dir, "moved", "impl.js"), export: "made" }));
    assert.notEqual(a, providerSource({ module: path.join(dir, "impl.js"), export: "other" }));
    assert.equal(a, providerSource({ module: path.join(dir, "impl.js"), export: "made" }));
  });

  it("a missing export is an error naming the module and the export", async () => {
    const provider = requireFromString(providerSource({ module: path.join(dir, "impl.js"), export: "absent" })).handler();
    await assert.rejects(provider.create({ n: 1 }), (e: Error) => e.message.includes("impl.js") && e.message.includes("absent"));
  });

  it("the preload defers typescript, arborist and the Automation API until used, and both still work", () => {
    const script = `
      const pulumi = require("@pulumi/pulumi");
      const loaded = (m) => Object.keys(require.cache).some((f) => f.includes(m));
      const names = { typescript: "/node_modules/typescript/", arborist: "/node_modules/@npmcli/arborist/", automation: "/@pulumi/pulumi/automation/" };
      const state = () => Object.fromEntries(Object.entries(names).map(([k, m]) => [k, loaded(m)]));
      const before = state();
      const workspace = typeof pulumi.automation.LocalWorkspace.create;
      pulumi.runtime.serializeFunction(() => 42).then((f) => {
        console.log(JSON.stringify({ before, after: state(), workspace, text: f.text.includes("42") }));
      });`;
    const out = execFileSync(process.execPath, ["--require", path.join(ROOT, "scripts", "node-preload.js"), "-e", script], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, NODE_NO_WARNINGS: "1" },
    });
    assert.deepEqual(JSON.parse(out), {
      before: { typescript: false, arborist: false, automation: false },
      after: { typescript: true, arborist: false, automation: true },
      workspace: "function",
      text: true,
    });
  });
});

describe("the preload in the SDK's policy-pack runner", () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "runbook-preload-pack-"));
    // Reports which compilers are loaded once the runner prints its port (the pack is serving),
    // or when it exits; never by time.
    fs.writeFileSync(
      path.join(dir, "probe.js"),
      `const loaded = (m) => Object.keys(require.cache).some((f) => f.includes(m));
       let done = false;
       const report = (port) => { if (done) return; done = true;
         process.stderr.write("PROBE " + JSON.stringify({ port, typescript: loaded("/node_modules/typescript/"), tsNode: loaded("ts-node"), inspectorHooks: loaded("/runtime/closure/v8Hooks") }) + "\\n"); };
       const write = process.stdout.write.bind(process.stdout);
       process.stdout.write = (chunk, ...rest) => { report(/^\\d+/.test(String(chunk))); process.exit(0); return write(chunk, ...rest); };
       process.on("exit", () => report(false));`,
    );
    fs.mkdirSync(path.join(dir, "ts-pack"));
    fs.writeFileSync(path.join(dir, "ts-pack", "package.json"), JSON.stringify({ main: "index.ts" }));
    fs.writeFileSync(path.join(dir, "ts-pack", "index.ts"), "export const x: number = 1;\n");
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Runs the SDK's run-policy-pack on `pack` with the preload; returns the probe's report. */
  function runPack(pack: string): { port: boolean; typescript: boolean; tsNode: boolean; inspectorHooks: boolean } {
    const runner = path.join(ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
    const r = spawnSync(process.execPath, ["--require", path.join(ROOT, "scripts", "node-preload.js"), "--require", path.join(dir, "probe.js"), runner, "127.0.0.1:1", pack], {
      cwd: pack,
      encoding: "utf8",
      env: { ...process.env, NODE_NO_WARNINGS: "1" },
    });
    const line = /PROBE (.*)/.exec(r.stderr)?.[1];
    if (!line) throw new Error(`the probe did not report (exit ${r.status}):\n${r.stderr}`);
    return JSON.parse(line);
  }

  it("serves this project's compiled pack without loading ts-node or typescript, and without the debugger on", () => {
    assert.deepEqual(runPack(path.join(ROOT, "policies")), { port: true, typescript: false, tsNode: false, inspectorHooks: false });
  });

  it("keeps the SDK's TypeScript registration for a pack whose entry is TypeScript", () => {
    assert.deepEqual(runPack(path.join(dir, "ts-pack")), { port: false, typescript: true, tsNode: true, inspectorHooks: false });
  });
});
