// The cluster helpers the kubernetes tests use (shared with the demo and the benchmark).
import { cluster as clusterScript } from "../../scripts/cluster-stack";

export { GATEWAY_URL, kubectl, kubernetesStackConfig, SECRET_KEYS } from "../../scripts/cluster-stack";

export function cluster(...args: string[]): Promise<string> {
  return clusterScript(args);
}

/** Tags the sample service's current image as each release version (`cluster.sh release`). */
export async function publishReleases(...versions: string[]): Promise<void> {
  await clusterScript(["release", ...versions]);
}
