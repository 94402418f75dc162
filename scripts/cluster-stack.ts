// The project's own single-node cluster (cluster/cluster.sh) as the kubernetes demo, tests and
// benchmark use it: its fixed addresses, and the stack config that points the kubernetes target at it.
import { execFile, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { stateDir } from "../components/state-dir";
import * as paths from "../components/targets/local/paths";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "..", "..");

/** Where Traefik serves the Gateway `default/runbook-gateway`, and the cluster's Prometheus. */
export const GATEWAY_URL = "http://127.0.0.1:17080";
export const CLUSTER_PROMETHEUS_URL = "http://127.0.0.1:17090";
/** The pods reach this machine's PostgreSQL and Redis through forwarders on the bridge's host address. */
export const BRIDGE_HOST = "10.88.0.1";
/** The sample service's image; `cluster.sh release <version>` tags it for a release. */
export const SAMPLE_IMAGE = "docker.io/local/sample-service";

export function kubeconfig(): string {
  return path.join(stateDir(), "cluster", "kubeconfig");
}

/**
 * Runs cluster/cluster.sh and resolves with its stdout; with `progress`, its output (build and
 * start-up progress) is shown on this process's stderr as it comes. Rejects with the output.
 */
export function cluster(args: string[], opts: { progress?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [path.join(ROOT, "cluster", "cluster.sh"), ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (opts.progress) process.stderr.write(d);
    });
    child.stderr.on("data", (d) => {
      err += d;
      if (opts.progress) process.stderr.write(d);
    });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`cluster/cluster.sh ${args.join(" ")} exited ${code}:\n${out}${err}`))));
  });
}

let kubernetesBin: string | undefined;

/** The cached Kubernetes binaries' folder, as the build script reports it (instant once built). */
async function kubernetesBinDir(): Promise<string> {
  if (!kubernetesBin) {
    const { stdout } = await run("bash", [path.join(ROOT, "cluster", "build", "build-cluster-binaries.sh"), "kubernetes"], { timeout: 60 * 60_000 });
    kubernetesBin = /^kubernetes=(.+)$/m.exec(stdout)?.[1];
    if (!kubernetesBin) throw new Error(`build-cluster-binaries.sh printed no kubernetes= line:\n${stdout}`);
  }
  return kubernetesBin;
}

/**
 * The newest Kubernetes binaries folder already in the build cache (see build-cluster-binaries.sh),
 * without building: for commands that only need a kubectl client. Undefined when none is built.
 */
export function cachedKubernetesBinDir(): string | undefined {
  const root = path.join(process.env.DEPLOYMENT_RUNBOOK_CLUSTER_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "deployment-runbook", "cluster"), "kubernetes");
  const built = (fs.existsSync(root) ? fs.readdirSync(root) : [])
    .map((h) => path.join(root, h, "bin"))
    .filter((d) => fs.existsSync(path.join(d, "kubectl")))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  return built[0];
}

export async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(path.join(await kubernetesBinDir(), "kubectl"), ["--kubeconfig", kubeconfig(), ...args], { maxBuffer: 16 << 20, timeout: 120_000 });
  return stdout;
}

/** A URL of this machine's service as the pods reach it: same credentials, the bridge's address. */
export function fromPods(url: string): string {
  const u = new URL(url);
  u.hostname = BRIDGE_HOST;
  return u.toString().replace(/\/$/, "");
}

/**
 * Stack config (flat keys for `config set --path`) for the kubernetes target on this cluster: the
 * sample image imported into the node, the gateway reached on this machine with the stack's own
 * hostname, pg-dump backups, and every gate check's address (the program's side and the pods').
 */
export function kubernetesStackConfig(namespace: string, hostname: string): Record<string, string> {
  const db = paths.postgresAdminUrl();
  const redis = paths.redisUrl();
  return {
    target: "kubernetes",
    "kubernetes:kubeconfig": kubeconfig(),
    "kubernetes.namespace": namespace,
    "kubernetes.image": SAMPLE_IMAGE,
    "kubernetes.imagePullPolicy": "Never",
    "kubernetes.hostname": hostname,
    "kubernetes.gatewayNamespace": "default",
    "kubernetes.gatewayUrl": GATEWAY_URL,
    "kubernetes.backupMode": "pg-dump",
    "kubernetes.databaseUrl": db,
    "kubernetes.redisUrl": redis,
    "kubernetes.podDatabaseUrl": fromPods(db),
    "kubernetes.podRedisUrl": fromPods(redis),
    "kubernetes.prometheusUrl": CLUSTER_PROMETHEUS_URL,
  };
}

/** Keys whose values carry a password: set with --secret. */
export const SECRET_KEYS = new Set(["kubernetes.databaseUrl", "kubernetes.podDatabaseUrl"]);
