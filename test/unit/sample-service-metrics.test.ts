// Unit tests of the sample service's metrics: what a scrape sees before and after requests.
import * as assert from "assert";
import { ServiceMetrics } from "../../sample-service/metrics";

/** The value of one sample line `name{labels} value` in an exposition, or undefined. */
function sample(text: string, name: string, route: string): number | undefined {
    const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(`route="${route}"`));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("sample service metrics", () => {
    it("exports the error counter at 0 for every counted route before any request", async () => {
        // A series that first appears with the first burst loses that burst to rate().
        const text = await new ServiceMetrics("v1.0.0", "blue").render();
        assert.strictEqual(sample(text, "runbook_http_request_errors_total", "/"), 0);
        assert.strictEqual(sample(text, "runbook_http_request_errors_total", "/api/items"), 0);
        assert.match(text, /runbook_http_request_errors_total\{version="v1.0.0",color="blue",route="\/"\} 0/);
    });

    it("counts a 5xx as an error and a 2xx or 4xx as a request only", async () => {
        const m = new ServiceMetrics("v1.0.0", "green");
        m.observe("/", 500, 0.01);
        m.observe("/", 503, 0.01);
        m.observe("/", 200, 0.01);
        m.observe("/api/items", 404, 0.01);
        const text = await m.render();
        assert.strictEqual(sample(text, "runbook_http_request_errors_total", "/"), 2);
        assert.strictEqual(sample(text, "runbook_http_request_errors_total", "/api/items"), 0);
        assert.match(text, /runbook_http_requests_total\{version="v1.0.0",color="green",route="\/",code="500"\} 1/);
        assert.match(text, /runbook_http_requests_total\{version="v1.0.0",color="green",route="\/api\/items",code="404"\} 1/);
    });
});
