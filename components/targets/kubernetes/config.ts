// The kubernetes target's section of the stack config (`kubernetes.*`).
import { z } from "zod";
import { configKey, integer, port } from "../../config/schema-helpers";
import { Traffic, checkTraffic } from "../../types";

const NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
const url = (what: string) => z.string().url({ message: `must be a URL (${what})` }).optional();

export const kubernetesConfigSchema = z
  .object({
    namespace: z.string().regex(NAME, { message: "must be a DNS label" }).default("default"),
    image: z.string().min(1, { message: "must name a container image" }).optional(),
    /**
     * The image (with its tag) that serves the maintenance page while `maintenance` is on: it runs
     * /app/sample-service/maintenance-page.js. Defaults to `image` at the version of the color
     * with the most traffic (the project's images carry the page server).
     */
    maintenancePageImage: z.string().min(1, { message: "must name a container image with its tag" }).optional(),
    /** How the kubelet gets the image: "Never" for images imported into the node (no registry). */
    imagePullPolicy: z.enum(["IfNotPresent", "Always", "Never"]).default("IfNotPresent"),
    mode: z.enum(["gateway-api", "service-selector"]).default("gateway-api"),
    gatewayName: z.string().default("runbook-gateway"),
    gatewayNamespace: z.string().optional(),
    hostname: z.string().optional(),
    /**
     * Where the program and the gates reach the gateway (its load balancer or a port on this
     * machine), sent `Host: <hostname>`. Defaults to <gatewayScheme>://<hostname>.
     */
    gatewayUrl: url("http://127.0.0.1:17080"),
    /** "pg-dump": a verified dump taken from the program's side (needs databaseUrl); "volume-snapshot": a CSI VolumeSnapshot of databaseClaim. */
    backupMode: z.enum(["volume-snapshot", "pg-dump"]).default("volume-snapshot"),
    snapshotClass: z.string().default("csi-snapclass"),
    databaseClaim: z.string().default("postgres-data"),
    containerPort: port().default(8080),
    /**
     * How long a terminating pod keeps serving before it is told to stop, so the gateway has
     * removed it from its endpoints first (a rolling update drops no request).
     */
    preStopSeconds: integer(0, 120, "from 0 to 120 (seconds)").default(5),
    /** How long `up` waits for a color's pods to be ready before it fails (a crash-looping release). */
    readyTimeoutSeconds: integer(10, 3600, "from 10 to 3600 (seconds)").default(600),
    gatewayScheme: z.enum(["http", "https"]).default("http"),
    cpuRequestMillicores: integer(10, 64000, "from 10 to 64000 (millicores)").default(100),
    cpuLimitMillicores: integer(10, 64000, "from 10 to 64000 (millicores)").default(500),
    memoryRequestMiB: integer(16, 262144, "from 16 to 262144").default(128),
    memoryLimitMiB: integer(16, 262144, "from 16 to 262144").default(256),
    /** The service's PostgreSQL as the gate reaches it (a secret: it carries a password). Enables the database check. */
    databaseUrl: url("postgres://user:password@host:5432/db"),
    /** The service's Redis as the gate reaches it. Enables the cache check. */
    redisUrl: url("redis://host:6379"),
    /** The service's PostgreSQL and Redis as the pods reach them, given to them as DATABASE_URL and REDIS_URL (in a Secret). */
    podDatabaseUrl: url("postgres://user:password@host:5432/db"),
    podRedisUrl: url("redis://host:6379"),
    /** The Prometheus that scrapes the pods. Enables the error-rate and latency checks. */
    prometheusUrl: url("http://prometheus:9090"),
  })
  .strict()
  .default({});

export type KubernetesConfig = z.infer<typeof kubernetesConfigSchema>;

const key = (f: string) => configKey(`kubernetes.${f}`);

/** What the kubernetes target needs beyond the schema; each problem names its key. */
export function kubernetesConfigProblems(k: KubernetesConfig, traffic: Traffic, backupEnabled = true): string[] {
  const problems: string[] = [];
  if (k.backupMode === "pg-dump" && backupEnabled && !k.databaseUrl) {
    problems.push(`${key("databaseUrl")}: is required when ${key("backupMode")} is "pg-dump" (the program dumps the database it reaches there), or set ${key("backupMode")} to "volume-snapshot"`);
  }
  if (!k.image) problems.push(`${key("image")}: is required on the kubernetes target (the image repository; each color's version is the tag)`);
  if (k.mode === "gateway-api" && !k.hostname) {
    problems.push(`${key("hostname")}: is required when ${key("mode")} is "gateway-api" (the hostname the gateway serves the service at)`);
  }
  if (k.cpuRequestMillicores > k.cpuLimitMillicores) {
    problems.push(`${key("cpuRequestMillicores")}: must not exceed ${key("cpuLimitMillicores")} (${k.cpuRequestMillicores} > ${k.cpuLimitMillicores})`);
  }
  if (k.memoryRequestMiB > k.memoryLimitMiB) {
    problems.push(`${key("memoryRequestMiB")}: must not exceed ${key("memoryLimitMiB")} (${k.memoryRequestMiB} > ${k.memoryLimitMiB})`);
  }
  if (k.mode === "service-selector") {
    const problem = serviceSelectorProblem(traffic);
    if (problem) problems.push(problem);
  }
  return problems;
}

/** Why service-selector mode cannot apply `traffic` (it sends all traffic to one color), or undefined. */
export function serviceSelectorProblem(traffic: Traffic): string | undefined {
  if (traffic.green === 0 || traffic.green === 100) return undefined;
  return (
    `${configKey("traffic.green")} is ${traffic.green}, but ${key("mode")} "service-selector" ` +
    `can only send all traffic to one color: set ${configKey("traffic.green")} to 0 or 100, ` +
    `or set ${key("mode")} to "gateway-api" for a weighted split`
  );
}

/** The color service-selector mode sends everything to. Throws when the split needs weights. */
export function serviceSelectorColor(traffic: Traffic): "blue" | "green" {
  checkTraffic("KubernetesRouter", traffic);
  const problem = serviceSelectorProblem(traffic);
  if (problem) throw new Error(problem);
  return traffic.green === 100 ? "green" : "blue";
}
