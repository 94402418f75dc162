// Unit tests of the kubernetes target (components/targets/kubernetes/ and the components it
// creates) with Pulumi mocks: no cluster is reachable here. The mocks record every resource the
// program registers, in order, and fail on any provider call (invoke) nobody mocked. A
// transformation on the test's root component records each resource's options (dependsOn,
// retainOnDelete, protect), which the mocks never see.
//
// The flow is driven the way BlueGreenService drives a target: environments, the backup, a gate,
// then the router with dependsOn [backup, gate]. Traffic at 0, 10, 50 and 100.
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import type * as ConfigModule from "../../components/config/stack-config";
import type * as TargetModule from "../../components/targets/kubernetes/target";
import type * as RouterModule from "../../components/targets/kubernetes/router";
import type * as EnvironmentModule from "../../components/targets/kubernetes/environment";
import type * as KubernetesConfigModule from "../../components/targets/kubernetes/config";
import type { KubernetesConfig } from "../../components/targets/kubernetes/config";
import type { BlueGreenTarget } from "../../components/targets/target";
import type { Color, ShiftPlan } from "../../components/types";
import { DYNAMIC_TYPE } from "../../components/roles";
import { LOAD_TIMEOUT_MS, createRecorder, exampleStack, planFor, startClosureSerializer, valueOf } from "./helpers/mock-recorder";

// ---- mocks that record (test/unit/helpers/mock-recorder.ts) ----------------------------------

const T = {
  deployment: "kubernetes:apps/v1:Deployment",
  service: "kubernetes:core/v1:Service",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  route: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
  backup: "kubernetes:snapshot.storage.k8s.io/v1:VolumeSnapshot",
  secret: "kubernetes:core/v1:Secret",
  gate: "runbook:test:Gate",
};

const recorder = createRecorder({
  target: "kubernetes",
  slowTypes: new Set([T.backup, T.gate]),
  // What the API server fills in and the code reads back: the object's name (generated when the
  // program gives none) and a backup's readiness.
  decorate(args, state) {
    if (args.type.startsWith("kubernetes:")) {
      state.metadata = { ...args.inputs.metadata, name: args.inputs.metadata?.name ?? `${args.name}-abcd1234`, creationTimestamp: "2025-01-01T10:00:00Z" };
    }
    if (args.type === T.backup) {
      state.status = { readyToUse: true, creationTime: "2025-01-01T10:00:05Z" };
    }
  },
});
const { rec, mocks, Root, settle, reset, customs, components, one, optionsOf, dependsOnNames } = recorder;
const { driveTarget, assertBackupAfterPreviews, assertTrafficAfterBackupAndGate, assertPromotionOrder } = recorder;

const DYNAMIC = DYNAMIC_TYPE;

// ---- the code under test, loaded after setMocks -------------------------------------------------

let config: typeof ConfigModule;
let target: typeof TargetModule;
let router: typeof RouterModule;
let environment: typeof EnvironmentModule;
let kubernetesConfig: typeof KubernetesConfigModule;

interface Case {
  green: number;
  blueVersion?: string;
  greenVersion?: string;
}

function stackConfig(c: Case, kubernetes: Record<string, unknown> = {}): ConfigModule.StackConfig {
  return config.parseStackConfig(stackConfigInput(c, kubernetes));
}

function stackConfigInput(c: Case, kubernetes: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    target: "kubernetes",
    service: { name: "app" },
    blue: c.blueVersion ? { version: c.blueVersion, replicas: 3 } : { replicas: 3 },
    green: c.greenVersion ? { version: c.greenVersion, replicas: 1, env: { FEATURE_X: "on" } } : {},
    traffic: { green: c.green },
    kubernetes: {
      image: "ghcr.io/acme/app",
      namespace: "shop",
      hostname: "app.staging.example.com",
      gatewayName: "public",
      gatewayNamespace: "gateways",
      ...kubernetes,
    },
  };
}

/** Drives the target the way BlueGreenService does, under a root that records options. */
async function deploy(c: Case, kubernetes: Record<string, unknown> = {}) {
  return deployConfig(stackConfig(c, kubernetes));
}

async function deployConfig(cfg: ConfigModule.StackConfig) {
  const traffic = config.configuredTraffic(cfg);
  const t: BlueGreenTarget = target.kubernetesTarget(cfg.kubernetes as KubernetesConfig, { config: cfg, plan: planFor(traffic, "green") });
  return { target: t, ...(await driveTarget(t, cfg, traffic)) };
}

function environmentResources(color: Color): string[] {
  return [
    `${T.deployment}::svc-${color}-deployment`,
    `${T.route}::svc-${color}-header`,
    `${T.service}::svc-${color}-service`,
    `${T.pdb}::svc-${color}-pdb`,
    `${DYNAMIC}::svc-${color}-served`,
  ];
}

describe("kubernetes target", () => {
  // Loading the code under test is the slow part of this file; it happens here, under its own
  // timeout, so no test carries it (see LOAD_TIMEOUT_MS).
  before(async function () {
    this.timeout(LOAD_TIMEOUT_MS);
    await pulumi.runtime.setMocks(mocks, "deployment-runbook", "staging", false);
    /* eslint-disable @typescript-eslint/no-require-imports */
    config = require("../../components/config/stack-config");
    target = require("../../components/targets/kubernetes/target");
    router = require("../../components/targets/kubernetes/router");
    kubernetesConfig = require("../../components/targets/kubernetes/config");
    environment = require("../../components/targets/kubernetes/environment");
    /* eslint-enable @typescript-eslint/no-require-imports */
    await startClosureSerializer();
  });
  beforeEach(reset);
  afterEach(() => assert.deepEqual(rec.unmockedCalls, [], "the target made provider calls nobody mocked"));

  describe("gateway-api mode, traffic at 0, 10, 50 and 100", () => {
    const table: (Case & { colors: Color[]; backendRefs: { name: string; port: number; weight: number }[] })[] = [
      { green: 0, blueVersion: "v1.4.0", colors: ["blue"], backendRefs: [{ name: "app-blue", port: 80, weight: 100 }] },
      {
        green: 10,
        blueVersion: "v1.4.0",
        greenVersion: "v1.5.0",
        colors: ["blue", "green"],
        backendRefs: [
          { name: "app-blue", port: 80, weight: 90 },
          { name: "app-green", port: 80, weight: 10 },
        ],
      },
      {
        green: 50,
        blueVersion: "v1.4.0",
        greenVersion: "v1.5.0",
        colors: ["blue", "green"],
        backendRefs: [
          { name: "app-blue", port: 80, weight: 50 },
          { name: "app-green", port: 80, weight: 50 },
        ],
      },
      {
        green: 100,
        blueVersion: "v1.4.0",
        greenVersion: "v1.5.0",
        colors: ["blue", "green"],
        backendRefs: [
          { name: "app-blue", port: 80, weight: 0 },
          { name: "app-green", port: 80, weight: 100 },
        ],
      },
      { green: 100, greenVersion: "v1.5.0", colors: ["green"], backendRefs: [{ name: "app-green", port: 80, weight: 100 }] },
    ];

    for (const c of table) {
      const label = `green ${c.green}% with ${c.colors.join(" and ")} running`;

      it(`${label}: creates exactly the environments, backup and route, nothing else`, async () => {
        await deploy(c);
        assert.deepEqual(
          customs(),
          [...c.colors.flatMap(environmentResources), `${T.route}::svc-router-route`, `${T.backup}::svc-backup-green-v1-5-0`, `${T.gate}::svc-gate`].sort(),
        );
        assert.deepEqual(
          components(),
          [
            "runbook:test:Root::root",
            ...c.colors.map((col) => `deployment-runbook:kubernetes:KubernetesEnvironment::svc-${col}`),
            "deployment-runbook:kubernetes:KubernetesBackup::svc-backup",
            "deployment-runbook:kubernetes:KubernetesRouter::svc-router",
          ].sort(),
        );
        for (const col of ["blue", "green"] as const) {
          if (c.colors.includes(col)) continue;
          assert.ok(!rec.registered.some((r) => r.name.startsWith(`svc-${col}`)), `nothing of ${col} may exist without its version`);
        }
        assert.ok(!rec.registered.some((r) => r.name === "svc-router-active"), "no active Service in gateway-api mode");
      });

      it(`${label}: the route's default rule carries the traffic, one backendRef per running color`, async () => {
        const { url, traffic } = await deploy(c);
        const route = one(T.route, "svc-router-route").inputs;
        assert.equal(route.apiVersion, "gateway.networking.k8s.io/v1");
        assert.equal(route.kind, "HTTPRoute");
        assert.equal(route.metadata.namespace, "shop");
        assert.deepEqual(route.spec.parentRefs, [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "public", namespace: "gateways" }]);
        assert.deepEqual(route.spec.hostnames, ["app.staging.example.com"]);
        assert.deepEqual(route.spec.rules, [{ backendRefs: c.backendRefs }]);
        assert.deepEqual(traffic, { blue: 100 - c.green, green: c.green });
        assert.equal(url, "http://app.staging.example.com");
      });

      it(`${label}: each running color has a header route that reaches it whatever the traffic`, async () => {
        await deploy(c);
        for (const col of c.colors) {
          const header = one(T.route, `svc-${col}-header`).inputs;
          assert.deepEqual(header.spec.parentRefs, [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "public", namespace: "gateways" }]);
          assert.deepEqual(header.spec.hostnames, ["app.staging.example.com"]);
          assert.deepEqual(header.spec.rules, [
            {
              matches: [
                { path: { type: "PathPrefix", value: "/" }, headers: [{ type: "Exact", name: "X-Runbook-Color", value: col }] },
                // Outranking maintenance mode's exact-path rules on the weighted route.
                { path: { type: "Exact", value: "/healthz" }, headers: [{ type: "Exact", name: "X-Runbook-Color", value: col }] },
                { path: { type: "Exact", value: "/readyz" }, headers: [{ type: "Exact", name: "X-Runbook-Color", value: col }] },
              ],
              backendRefs: [{ name: `app-${col}`, port: 80 }],
            },
          ]);
        }
      });

      it(`${label}: the backup and gate wait until every color is reachable by header`, async () => {
        const { reachable } = await deploy(c);
        assertBackupAfterPreviews(reachable, c.colors);
      });

      it(`${label}: the traffic resource waits for the backup and the gate`, async () => {
        await deploy(c);
        await assertTrafficAfterBackupAndGate("svc-router-route", "route");
      });
    }
  });

  describe("environments", () => {
    it("runs each release as a Deployment with probes, resources and a surge-only rolling update", async () => {
      await deploy({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" });
      const d = one(T.deployment, "svc-green-deployment").inputs;
      assert.equal(d.metadata.namespace, "shop");
      assert.deepEqual(d.metadata.labels, { app: "app", color: "green", version: "v1.5.0", "deployment-runbook/role": "environment" });
      assert.equal(d.spec.replicas, 1);
      assert.deepEqual(d.spec.selector, { matchLabels: { app: "app", color: "green" } });
      assert.deepEqual(d.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
      // The stack label is what the cluster's Prometheus selects the series by.
      assert.deepEqual(d.spec.template.metadata.labels, { app: "app", color: "green", version: "v1.5.0", "deployment-runbook/stack": "staging" });
      assert.deepEqual(d.metadata.annotations, { "pulumi.com/timeoutSeconds": "600" });
      const [container] = d.spec.template.spec.containers;
      assert.equal(d.spec.template.spec.containers.length, 1);
      assert.equal(container.image, "ghcr.io/acme/app:v1.5.0");
      assert.deepEqual(container.ports, [{ name: "http", containerPort: 8080 }]);
      assert.deepEqual(container.env, [
        { name: "RUNBOOK_VERSION", value: "v1.5.0" },
        { name: "RUNBOOK_COLOR", value: "green" },
        { name: "PORT", value: "8080" },
        { name: "HOST", value: "0.0.0.0" },
        { name: "FEATURE_X", value: "on" },
      ]);
      assert.equal(container.imagePullPolicy, "IfNotPresent");
      assert.deepEqual(container.lifecycle, { preStop: { sleep: { seconds: 5 } } });
      assert.equal(d.spec.template.spec.terminationGracePeriodSeconds, 35);
      assert.deepEqual(container.readinessProbe, { httpGet: { path: "/readyz", port: "http" }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 });
      assert.deepEqual(container.livenessProbe, { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 });
      assert.deepEqual(container.resources, { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } });
      assert.equal(one(T.deployment, "svc-blue-deployment").inputs.spec.template.spec.containers[0].image, "ghcr.io/acme/app:v1.4.0");
    });

    it("waits, after the Deployment, Service and header route, until the gateway serves each color's release alone", async () => {
      await deploy({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" });
      for (const [color, version] of [["blue", "v1.4.0"], ["green", "v1.5.0"]] as const) {
        const served = one(DYNAMIC, `svc-${color}-served`).inputs;
        assert.deepEqual(
          { service: served.service, color: served.color, version: served.version, replicas: served.replicas, url: served.url, host: served.host, timeoutSeconds: served.timeoutSeconds },
          { service: "app", color, version, replicas: one(T.deployment, `svc-${color}-deployment`).inputs.spec.replicas, url: "http://app.staging.example.com", host: "app.staging.example.com", timeoutSeconds: 600 },
        );
        assert.deepEqual((await dependsOnNames(`svc-${color}-served`)).sort(), [`svc-${color}-deployment`, `svc-${color}-header`, `svc-${color}-service`]);
      }
    });

    it("gives the pods DATABASE_URL and REDIS_URL from a Secret of the color, never in the Deployment itself", async () => {
      await deploy({ green: 0, blueVersion: "v1.4.0" }, { podDatabaseUrl: "postgres://app:pw@10.88.0.1:5432/app", podRedisUrl: "redis://10.88.0.1:6379", imagePullPolicy: "Never" });
      const secret = one(T.secret, "svc-blue-backing").inputs;
      assert.equal(secret.metadata.namespace, "shop");
      // Marked secret (the engine's secret signature wraps the value), so the state holds it encrypted.
      assert.equal(secret.stringData[pulumi.runtime.specialSigKey], pulumi.runtime.specialSecretSig);
      assert.deepEqual(secret.stringData.value, { DATABASE_URL: "postgres://app:pw@10.88.0.1:5432/app", REDIS_URL: "redis://10.88.0.1:6379" });
      const container = one(T.deployment, "svc-blue-deployment").inputs.spec.template.spec.containers[0];
      assert.equal(container.imagePullPolicy, "Never");
      const fromSecret = container.env.filter((e: { valueFrom?: unknown }) => e.valueFrom);
      assert.deepEqual(fromSecret, [
        { name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: "svc-blue-backing-abcd1234", key: "DATABASE_URL" } } },
        { name: "REDIS_URL", valueFrom: { secretKeyRef: { name: "svc-blue-backing-abcd1234", key: "REDIS_URL" } } },
      ]);
      assert.ok(!JSON.stringify(container).includes("pw@"), "no password in the pod spec");
    });

    it("takes requests and limits from the stack config", async () => {
      await deploy({ green: 0, blueVersion: "v1.4.0" }, { cpuRequestMillicores: 250, cpuLimitMillicores: 1000, memoryRequestMiB: 256, memoryLimitMiB: 512 });
      const container = one(T.deployment, "svc-blue-deployment").inputs.spec.template.spec.containers[0];
      assert.deepEqual(container.resources, { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1000m", memory: "512Mi" } });
    });

    it("gives each color a ClusterIP Service selecting app and color", async () => {
      await deploy({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" });
      for (const col of ["blue", "green"] as const) {
        const s = one(T.service, `svc-${col}-service`).inputs;
        assert.equal(s.metadata.name, `app-${col}`);
        assert.equal(s.metadata.namespace, "shop");
        assert.deepEqual(s.spec, { type: "ClusterIP", selector: { app: "app", color: col }, ports: [{ name: "http", port: 80, targetPort: "http" }] });
      }
    });

    it("guards each color with a PodDisruptionBudget: one pod at a time, none when it has one replica", async () => {
      await deploy({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" });
      const blue = one(T.pdb, "svc-blue-pdb").inputs; // 3 replicas
      const green = one(T.pdb, "svc-green-pdb").inputs; // 1 replica
      assert.deepEqual(blue.spec, { maxUnavailable: 1, selector: { matchLabels: { app: "app", color: "blue" } }, unhealthyPodEvictionPolicy: "AlwaysAllow" });
      assert.deepEqual(green.spec, { maxUnavailable: 0, selector: { matchLabels: { app: "app", color: "green" } }, unhealthyPodEvictionPolicy: "AlwaysAllow" });
      assert.deepEqual(environment.disruptionBudget(2), { maxUnavailable: 1 });
    });

    it("a second service instance never collides with the first", async () => {
      const cfg = stackConfig({ green: 0, blueVersion: "v1.4.0" });
      const t = target.kubernetesTarget(cfg.kubernetes as KubernetesConfig, { config: cfg, plan: planFor({ blue: 100, green: 0 }) });
      const root = new Root("root");
      const release = { version: "v1.4.0", replicas: 2, env: {} };
      t.environment("one-blue", { service: "app", color: "blue", release }, { parent: root });
      t.environment("two-blue", { service: "app", color: "blue", release }, { parent: root });
      await settle();
      const names = rec.registered.map((r) => `${r.type}::${r.name}`);
      assert.equal(new Set(names).size, names.length, `duplicate resources: ${names.join(", ")}`);
      assert.ok(names.includes(`${T.deployment}::one-blue-deployment`) && names.includes(`${T.deployment}::two-blue-deployment`));
    });
  });

  describe("backup", () => {
    it("backups the database claim with the configured class, retained forever", async () => {
      const { backup } = await deploy({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" }, { snapshotClass: "ebs-snapclass", databaseClaim: "pg-data" });
      const s = one(T.backup, "svc-backup-green-v1-5-0").inputs;
      assert.equal(s.apiVersion, "snapshot.storage.k8s.io/v1");
      assert.equal(s.kind, "VolumeSnapshot");
      assert.equal(s.metadata.namespace, "shop");
      assert.equal(s.metadata.name, undefined, "auto-named, so a retained backup of the same release never collides");
      assert.equal(s.metadata.annotations["pulumi.com/waitFor"], "jsonpath={.status.readyToUse}=true");
      assert.deepEqual(s.spec, { volumeSnapshotClassName: "ebs-snapclass", source: { persistentVolumeClaimName: "pg-data" } });
      const opts = optionsOf("svc-backup-green-v1-5-0");
      assert.equal(opts.retainOnDelete, true);
      // protect would make the engine refuse to drop this backup from the stack at the next
      // promotion (its name follows the trigger); retainOnDelete keeps it in the cluster instead.
      assert.notEqual(opts.protect, true);
      assert.equal(await valueOf(backup.backupId), "shop/svc-backup-green-v1-5-0-abcd1234");
      assert.equal(await valueOf(backup.takenAt), "2025-01-01T10:00:05Z");
      assert.equal(await valueOf(backup.verified), true);
    });

    it("pg-dump mode: a verified dump from the program's side, retained, of the configured database", async () => {
      await deploy({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" }, { backupMode: "pg-dump", databaseUrl: "postgres://app:pw@127.0.0.1:5432/app" });
      assert.equal(rec.registered.filter((r) => r.type === T.backup).length, 0, "no VolumeSnapshot in pg-dump mode");
      const dump = one(DYNAMIC, "svc-backup-pgdump");
      assert.equal(dump.inputs.runbook, "backup");
      assert.equal(dump.inputs.trigger, "green v1.5.0");
      assert.equal(dump.inputs.stack, "staging");
      assert.match(dump.inputs.directory, /backups\/k8s-staging-app$/);
      assert.equal(optionsOf("svc-backup-pgdump").retainOnDelete, true);
    });

    it("pg-dump mode without the database's address is a config error naming both keys", () => {
      assert.throws(() => stackConfig({ green: 0, blueVersion: "v1.4.0" }, { backupMode: "pg-dump" }), {
        message:
          "invalid stack config:\n" +
          '  - deployment-runbook:kubernetes.databaseUrl: is required when deployment-runbook:kubernetes.backupMode is "pg-dump" (the program dumps the database it reaches there), or set deployment-runbook:kubernetes.backupMode to "volume-snapshot"',
      });
    });

    it("a new trigger is a new backup resource", async () => {
      const cfg = stackConfig({ green: 0, blueVersion: "v1.4.0" });
      const t = target.kubernetesTarget(cfg.kubernetes as KubernetesConfig, { config: cfg, plan: planFor({ blue: 100, green: 0 }) });
      const root = new Root("root");
      t.backup("a-backup", { service: "app", trigger: "green-v1.5.0" }, { parent: root });
      t.backup("b-backup", { service: "app", trigger: "green-v1.6.0" }, { parent: root });
      await settle();
      assert.deepEqual(customs(), [`${T.backup}::a-backup-green-v1-5-0`, `${T.backup}::b-backup-green-v1-6-0`]);
    });
  });

  describe("maintenance (gateway-api mode)", () => {
    const on = (kubernetes: Record<string, unknown> = {}) =>
      deployConfig(config.parseStackConfig({ ...stackConfigInput({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" }, kubernetes), maintenance: { enabled: true, retryAfterSeconds: 120, message: "Back at noon." } }));

    it("the page runs from the serving color's image; the route sends users to it, /healthz and /readyz to the weights, once it is ready", async () => {
      await on();
      const page = one(T.deployment, "svc-router-maintenance").inputs;
      const container = page.spec.template.spec.containers[0];
      assert.equal(container.image, "ghcr.io/acme/app:v1.4.0");
      assert.deepEqual(container.args, ["/app/sample-service/maintenance-page.js"]);
      assert.deepEqual(
        Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value])),
        { PORT: "8080", READY_PORT: "8081", MAINTENANCE_RETRY_AFTER: "120", MAINTENANCE_MESSAGE: "Back at noon." },
      );
      // No Service exposes the readiness port: a user can never get a 200 from the page.
      assert.equal(container.readinessProbe.httpGet.port, "ready");
      const svc = one(T.service, "svc-router-maintenance").inputs;
      assert.deepEqual(svc.spec.ports, [{ name: "http", port: 80, targetPort: "http" }]);
      assert.equal(page.metadata.namespace, "shop");
      assert.equal(page.spec.replicas, 2);
      // What the kubernetes-workload policy asks of every Deployment.
      assert.ok(container.livenessProbe && container.resources.requests.cpu);
      assert.deepEqual(one(T.pdb, "svc-router-maintenance").inputs.spec.selector, page.spec.selector);
      const route = one(T.route, "svc-router-route");
      const weighted = [
        { name: "app-blue", port: 80, weight: 90 },
        { name: "app-green", port: 80, weight: 10 },
      ];
      assert.deepEqual(route.inputs.spec.rules, [
        { matches: [{ path: { type: "Exact", value: "/healthz" } }, { path: { type: "Exact", value: "/readyz" } }], backendRefs: weighted },
        { backendRefs: [{ name: "svc-router-maintenance-abcd1234", port: 80 }] },
      ]);
      // The route reads the page's name through its Deployment's status: it waits for the page.
      assert.ok(rec.events.indexOf("start:svc-router-route") > rec.events.lastIndexOf("done:svc-router-maintenance"), rec.events.join(", "));
    });

    it("kubernetes.maintenancePageImage replaces the image; off, there is no page and one rule", async () => {
      await on({ maintenancePageImage: "ghcr.io/acme/maintenance:3" });
      assert.equal(one(T.deployment, "svc-router-maintenance").inputs.spec.template.spec.containers[0].image, "ghcr.io/acme/maintenance:3");
      reset();
      await deploy({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" });
      assert.ok(!customs().includes(`${T.deployment}::svc-router-maintenance`), customs().join(", "));
      assert.ok(!customs().includes(`${T.service}::svc-router-maintenance`));
      assert.equal(one(T.route, "svc-router-route").inputs.spec.rules.length, 1);
    });
  });

  describe("service-selector mode", () => {
    for (const c of [
      { green: 0, blueVersion: "v1.4.0", active: "blue" },
      { green: 100, blueVersion: "v1.4.0", greenVersion: "v1.5.0", active: "green" },
    ]) {
      it(`green ${c.green}%: one active Service selecting ${c.active}, no route`, async () => {
        const { url, traffic } = await deploy(c, { mode: "service-selector", hostname: undefined });
        const active = one(T.service, "svc-router-active").inputs;
        assert.deepEqual(active.metadata, { name: "app-active", namespace: "shop", labels: { app: "app", "deployment-runbook/role": "router-traffic" } });
        assert.deepEqual(active.spec, { type: "ClusterIP", selector: { app: "app", color: c.active }, ports: [{ name: "http", port: 80, targetPort: "http" }] });
        assert.ok(!rec.registered.some((r) => r.type === T.route), "no HTTPRoute without Gateway API");
        assert.deepEqual(await dependsOnNames("svc-router-active"), ["svc-backup", "svc-gate"]);
        assert.equal(url, "http://app-active.shop.svc.cluster.local");
        assert.deepEqual(traffic, { blue: 100 - c.green, green: c.green });
      });
    }

    for (const green of [10, 50]) {
      it(`green ${green}%: refused before any resource exists, naming the config keys`, () => {
        const message =
          `deployment-runbook:traffic.green is ${green}, but deployment-runbook:kubernetes.mode "service-selector" can only send all traffic to one color: ` +
          `set deployment-runbook:traffic.green to 0 or 100, or set deployment-runbook:kubernetes.mode to "gateway-api" for a weighted split`;
        assert.throws(() => stackConfig({ green, blueVersion: "v1.4.0", greenVersion: "v1.5.0" }, { mode: "service-selector" }), { message: `invalid stack config:\n  - ${message}` });
        assert.throws(() => kubernetesConfig.serviceSelectorColor({ blue: 100 - green, green }), { message });
        assert.deepEqual(rec.registered, []);
      });
    }

    it("gates reach the color gaining traffic through its own Service", () => {
      const cfg = stackConfig({ green: 100, blueVersion: "v1.4.0", greenVersion: "v1.5.0" }, { mode: "service-selector" });
      const t = target.kubernetesTarget(cfg.kubernetes as KubernetesConfig, { config: cfg, plan: planFor({ blue: 0, green: 100 }, "green") });
      assert.equal(t.gateEndpoint("app", {}).baseUrl, "http://app-green.shop.svc.cluster.local");
    });
  });

  describe("validation and gate endpoint", () => {
    it("gates reach a color through the gateway hostname with the header, and each check's address from config", async () => {
      const addresses = { databaseUrl: "postgres://app:pw@db.shop:5432/app", redisUrl: "redis://cache.shop:6379", prometheusUrl: "http://prometheus.monitoring:9090" };
      const cfg = stackConfig({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" }, { gatewayScheme: "https", ...addresses });
      assert.deepEqual(cfg.gates.checks, ["api", "database", "cache", "external", "error-rate", "latency"]);
      const t = target.kubernetesTarget(cfg.kubernetes as KubernetesConfig, { config: cfg, plan: planFor({ blue: 90, green: 10 }, "green") });
      const e = t.gateEndpoint("app", {});
      assert.equal(e.baseUrl, "https://app.staging.example.com");
      assert.equal(await valueOf(pulumi.output(e.databaseUrl)), addresses.databaseUrl);
      assert.equal(await pulumi.isSecret(pulumi.output(e.databaseUrl)), true, "the database URL carries a password: a secret");
      assert.equal(await valueOf(pulumi.output(e.redisUrl)), addresses.redisUrl);
      const metrics = await valueOf(pulumi.output(e.metrics));
      assert.match(String(metrics?.module), /gates\/prometheus-source\.js$/);
      assert.deepEqual([metrics?.factory, metrics?.options], ["prometheusSource", { url: addresses.prometheusUrl }]);
    });

    it("through the gateway's own address (kubernetes.gatewayUrl) the hostname goes in the Host header, and the stack's url is that address", async () => {
      const cfg = stackConfig({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" }, { gatewayUrl: "http://127.0.0.1:17080" });
      const t = target.kubernetesTarget(cfg.kubernetes as KubernetesConfig, { config: cfg, plan: planFor({ blue: 90, green: 10 }, "green") });
      const e = t.gateEndpoint("app", {});
      assert.equal(e.baseUrl, "http://127.0.0.1:17080");
      assert.equal(e.host, "app.staging.example.com");
      const { router } = await deploy({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" }, { gatewayUrl: "http://127.0.0.1:17080" });
      assert.equal(await valueOf(router.url), "http://127.0.0.1:17080");
    });

    it("without addresses, the default gate checks are the ones that can run; asking for more names the key", () => {
      assert.deepEqual(stackConfig({ green: 0, blueVersion: "v1.4.0" }).gates.checks, ["api", "external"]);
      assert.throws(() => config.parseStackConfig({ ...stackConfigInput({ green: 0, blueVersion: "v1.4.0" }), gates: { checks: ["api", "latency"] } }), {
        message:
          "invalid stack config:\n" +
          '  - deployment-runbook:gates.checks: "latency" cannot run on the kubernetes target without deployment-runbook:kubernetes.prometheusUrl (set it, or leave latency out of gates.checks)',
      });
    });

    it("refuses a stack without image or hostname, naming the keys", () => {
      assert.throws(() => stackConfig({ green: 0, blueVersion: "v1.4.0" }, { image: undefined, hostname: undefined }), {
        message:
          "invalid stack config:\n" +
          "  - deployment-runbook:kubernetes.image: is required on the kubernetes target (the image repository; each color's version is the tag)\n" +
          '  - deployment-runbook:kubernetes.hostname: is required when deployment-runbook:kubernetes.mode is "gateway-api" (the hostname the gateway serves the service at)',
      });
    });

    it("refuses requests above limits", () => {
      assert.throws(() => stackConfig({ green: 0, blueVersion: "v1.4.0" }, { cpuRequestMillicores: 900, cpuLimitMillicores: 500 }), {
        message: /deployment-runbook:kubernetes\.cpuRequestMillicores: must not exceed deployment-runbook:kubernetes\.cpuLimitMillicores \(900 > 500\)/,
      });
    });

    it("the router never sends weight to a color without an environment", () => {
      assert.throws(
        () =>
          router.validateKubernetesRouterArgs({
            service: "app",
            traffic: { blue: 90, green: 10 },
            backends: { blue: "app-blue" },
            gateway: { name: "public", hostname: "app.example.com" },
          }),
        { message: "KubernetesRouter: traffic.green is 10 but green has no environment (set deployment-runbook:green.version)" },
      );
      assert.deepEqual(router.weightedBackendRefs({ blue: 100, green: 0 }, { blue: "app-blue" }), [{ name: "app-blue", port: 80, weight: 100 }]);
    });

    it("environment arguments are checked before anything is created", () => {
      const base = { service: "app", color: "blue" as const, release: { version: "v1", replicas: 2, env: {} }, image: "ghcr.io/acme/app" };
      assert.throws(() => environment.validateKubernetesEnvironmentArgs({ ...base, image: "ghcr.io/acme/app:v1" }), {
        message: 'KubernetesEnvironment blue: image must be a repository without tag or digest, the release version is the tag (got "ghcr.io/acme/app:v1")',
      });
      assert.throws(() => environment.validateKubernetesEnvironmentArgs({ ...base, release: { ...base.release, env: { RUNBOOK_COLOR: "green" } } }), {
        message: "KubernetesEnvironment blue: release.env must not set RUNBOOK_COLOR (the environment sets RUNBOOK_VERSION, RUNBOOK_COLOR, PORT, HOST, DATABASE_URL, REDIS_URL)",
      });
      assert.doesNotThrow(() => environment.validateKubernetesEnvironmentArgs({ ...base, image: "registry.local:5000/acme/app" }));
    });
  });

  // The whole program's order, through BlueGreenService: the backup, then the gates, then the
  // traffic (see assertPromotionOrder in helpers/mock-recorder.ts).
  describe("BlueGreenService on the kubernetes target", () => {
    it("takes the backup, then runs the gates, then moves the traffic (green 0% -> 10%)", async () => {
      const cfg = stackConfig({ green: 10, blueVersion: "v1.4.0", greenVersion: "v1.5.0" });
      const makeTarget = (plan: ShiftPlan) => target.kubernetesTarget(cfg.kubernetes as KubernetesConfig, { config: cfg, plan });
      await assertPromotionOrder({ cfg, stack: "staging", makeTarget, backupType: "deployment-runbook:kubernetes:KubernetesBackup", trafficResource: "svc-router-route" });
    });
  });

  describe("example stack", () => {
    it("stacks/Pulumi.staging.yaml is valid and deploys under mocks", async () => {
      const cfg = exampleStack(config, "Pulumi.staging.yaml");
      assert.equal(cfg.target, "kubernetes");
      const { url } = await deployConfig(cfg);
    const route = one(T.route, "svc-router-route").inputs;
    assert.deepEqual(route.spec.rules[0].backendRefs.map((b: { weight: number }) => b.weight), [90, 10]);
    assert.equal(url, "https://shop.staging.example.com");
    });
  });
});
