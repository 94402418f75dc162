// The kubernetes target's maintenance page server (sample-service/maintenance-page.ts), on a real
// socket: every path and method gets 503 with Retry-After and no-store; the environment is checked.
import { strict as assert } from "assert";
import * as http from "http";
import type { AddressInfo } from "net";
import { DEFAULT_MESSAGE, maintenanceHtml, pageServer, parsePageConfig } from "../../sample-service/maintenance-page";

function get(port: number, path: string, method = "GET"): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, method, agent: false }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(method === "POST" ? "a=1" : undefined);
  });
}

describe("maintenance page server (kubernetes target)", function () {
  this.timeout(30_000);
  let server: http.Server;
  let port: number;
  before(async () => {
    server = pageServer({ port: 0, readyPort: 0, retryAfterSeconds: 90, message: "Back <soon> & better." });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  for (const [method, path] of [["GET", "/"], ["GET", "/api/items?x=1"], ["POST", "/api/items"], ["GET", "/healthz"]]) {
    it(`${method} ${path}: 503, Retry-After, no-store, the page`, async () => {
      const r = await get(port, path, method);
      assert.equal(r.status, 503);
      assert.equal(r.headers["retry-after"], "90");
      assert.equal(r.headers["cache-control"], "no-store");
      assert.match(String(r.headers["content-type"]), /^text\/html/);
      assert.equal(r.body, maintenanceHtml("Back <soon> & better.", 90));
    });
  }

  it("escapes the message for HTML", () => {
    assert.match(maintenanceHtml("Back <soon> & better.", 90), /<p>Back &lt;soon&gt; &amp; better\.<\/p>/);
  });

  it("reads its environment, naming a bad variable and what it allows", () => {
    assert.deepEqual(parsePageConfig({}), { port: 8080, readyPort: 8081, retryAfterSeconds: 300, message: DEFAULT_MESSAGE });
    assert.deepEqual(parsePageConfig({ PORT: "9000", MAINTENANCE_RETRY_AFTER: "60", MAINTENANCE_MESSAGE: "x" }), { port: 9000, readyPort: 8081, retryAfterSeconds: 60, message: "x" });
    assert.throws(() => parsePageConfig({ MAINTENANCE_RETRY_AFTER: "0" }), /MAINTENANCE_RETRY_AFTER="0": must be an integer from 1 to 86400/);
    assert.throws(() => parsePageConfig({ PORT: "http" }), /PORT="http": must be an integer from 1 to 65535/);
  });
});
