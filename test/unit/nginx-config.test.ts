import { strict as assert } from "assert";
import { renderNginxConfig, renderWeights, validateRouterConfig } from "../../components/targets/local/nginx-config";

const upstreams = { blue: [18000, 18001], green: [18100] };

describe("nginx router config", () => {
  it("0% and 100% route to one upstream without split_clients (which rejects 0%)", () => {
    const zero = renderWeights({ blue: 100, green: 0 }, upstreams, "g1");
    assert.doesNotMatch(zero, /split_clients/);
    assert.match(zero, /map \$request_id \$runbook_weighted \{ default runbook_blue; \}/);
    const full = renderWeights({ blue: 0, green: 100 }, upstreams, "g2");
    assert.doesNotMatch(full, /split_clients/);
    assert.match(full, /default runbook_green;/);
  });

  it("a split gives green its percent and blue the rest, per request", () => {
    const w = renderWeights({ blue: 90, green: 10 }, upstreams, "g3");
    assert.match(w, /split_clients "\$\{request_id\}" \$runbook_weighted \{\s+10% runbook_green;\s+\* runbook_blue;\s+\}/);
    assert.match(w, /\\"generation\\":\\"g3\\"/);
  });

  it("routes X-Runbook-Color to that color whatever the traffic, and 503 for a color with no instances", () => {
    const conf = renderNginxConfig({ port: 8080, upstreams: { blue: [18000] }, directory: "/tmp/r", generation: "g" });
    assert.match(conf, /map \$http_x_runbook_color \$runbook_upstream \{\s+blue runbook_blue;\s+green none;\s+default \$runbook_weighted;/);
    assert.match(conf, /if \(\$runbook_upstream = none\) \{\s+return 503/);
    assert.match(conf, /upstream runbook_blue \{\s+server 127\.0\.0\.1:18000 /);
    assert.doesNotMatch(conf, /upstream runbook_green/);
    assert.match(conf, /listen 127\.0\.0\.1:8080/);
    assert.match(conf, /include \/tmp\/r\/weights\.conf;/);
  });

  it("refuses traffic that does not sum to 100 or send traffic to a color with no instances", () => {
    assert.throws(() => validateRouterConfig({ port: 1, traffic: { blue: 50, green: 40 }, upstreams, directory: "", generation: "" }), /router: traffic must be integer percents from 0 to 100 summing to 100 \(got blue 50, green 40\)/);
    assert.throws(() => renderWeights({ blue: 90, green: 10 }, { blue: [1] }, "g"), /traffic for green is 10% but green has no running instances/);
  });
});
