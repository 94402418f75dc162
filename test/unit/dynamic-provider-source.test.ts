// The `__provider` text LazyDynamicResource writes instead of the SDK's serializer, loaded the way
// the engine's Node.js dynamic provider loads it, and the preload that keeps TypeScript and
// arborist out of every engine-started Node.js process until something uses them.
import * as assert from "assert";
import { execFileSync } from "child_process";
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

  it("the preload defers typescript and arborist until used, and the closure serializer still works", () => {
    const script = `
      const pulumi = require("@pulumi/pulumi");
      const loaded = (m) => Object.keys(require.cache).some((f) => f.includes("/node_modules/" + m + "/"));
      const before = { typescript: loaded("typescript"), arborist: loaded("@npmcli/arborist") };
      pulumi.runtime.serializeFunction(() => 42).then((f) => {
        console.log(JSON.stringify({ before, after: loaded("typescript"), text: f.text.includes("42") }));
      });`;
    const out = execFileSync(process.execPath, ["--require", path.join(ROOT, "scripts", "node-preload.js"), "-e", script], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, NODE_NO_WARNINGS: "1" },
    });
    assert.deepEqual(JSON.parse(out), { before: { typescript: false, arborist: false }, after: true, text: true });
  });
});
