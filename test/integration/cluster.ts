// The project's own single-node cluster (cluster/cluster.sh), as the kubernetes tests and the
// benchmark use it: bring it up, publish sample-service releases to it, run kubectl against it.
import { execFile } from "child_process";
import * as path from "path";
import { promisify } from "util";
import { stateDir } from "../../components/state-dir";
import * as paths from "../../components/targets/local/paths";
import { ROOT } from "./harness";

const run = promisify(execFile);
const SCRIPT = path.join(ROOT, "cluster", "cluster.sh");

/** Where Traefik serves the Gateway `default/runbook-gateway`, and the cluster's Prometheus. */
export const GATEWAY_URL = "http://127.0.0.1:17080";
export const CLUSTER_PROMETHEUS_URL = "http://127.0.0.1:17090";
/** The pods reach this machine's PostgreSQL and Redis through forwarders on the bridge's host address. */
export const BRIDGE_HOST = "10.88.0.1";
export const SAMPLE_IMAGE = "docker.io/local/sample-service";

export function kubeconfig(): string {
  return path.join(stateDir(), "cluster", "kubeconfig");
}

export async function cluster(...args: string[]): Promise<string> {
  const { stdout } = await run("bash", [SCRIPT, ...args], { maxBuffer: 16 << 20, timeout: 30 * 60_000 });
  return stdout;
}

/** Tags the sample service's current image as each release version (`cluster.sh release`). */
export async function publishReleases(...versions: string[]): Promise<void> {
  await cluster("release", ...versions);
}

let kubernetesBin: string | undefined;

/** The cached binaries' folder, as the build script reports it (instant once built). */
async function kubernetesBinDir(): Promise<string> {
  if (!kubernetesBin) {
    const { stdout } = await run("bash", [path.join(ROOT, "cluster", "build", "build-cluster-binaries.sh"), "kubernetes"], { timeout: 60 * 60_000 });
    kubernetesBin = /^kubernetes=(.+)$/m.exec(stdout)?.[1];
    if (!kubernetesBin) throw new Error(`build-cluster-binaries.sh printed no kubernetes= line:\n${stdout}`);
  }
  return kubernetesBin;
}

export async function kubectl(...args: string[]): Promise<string> {
  const bin = path.join(await kubernetesBinDir(), "kubectl");
  const { stdout } = await run(bin, ["--kubeconfig", kubeconfig(), ...args], { maxBuffer: 16 << 20, timeout: 120_000 });
  return stdout;
}

/** A URL of this machine's service as the pods reach it: same credentials, the bridge's address. */
export function fromPods(url: string): string {
  const u = new URL(url);
  u.hostname = BRIDGE_HOST;
  return u.toString();
}

/**
 * Stack config for the kubernetes target on this cluster: the sample image imported into the node,
 * the gateway reached on this machine with the stack's own hostname, pg-dump backups, and every
 * gate check's address (the program's side and the pods' side).
 */
export function kubernetesStackConfig(namespace: string, hostname: string): Record<string, string | number | boolean> {
  const db = paths.postgresAdminUrl();
  const redis = paths.redisUrl();
  return {
    target: "kubernetes",
    "kubernetes:kubeconfig": kubeconfig(),
    "kubernetes.namespace": namespace,
    "kubernetes.image": SAMPLE_IMAGE,
    "kubernetes.imagePullPolicy": "Never",
    "kubernetes.hostname": hostname,
    "kubernetes.gatewayUrl": GATEWAY_URL,
    "kubernetes.backupMode": "pg-dump",
    "kubernetes.databaseUrl": db,
    "kubernetes.redisUrl": redis,
    "kubernetes.podDatabaseUrl": fromPods(db),
    "kubernetes.podRedisUrl": fromPods(redis),
    "kubernetes.prometheusUrl": CLUSTER_PROMETHEUS_URL,
  };
}
