// The gateway serving a color's new release and nothing else. The provider's readiness wait ends
// when the new pods are ready, but the old ones stay in the gateway's endpoints a moment longer:
// the EndpointSlice update and the gateway's reload lag behind, seconds on a busy machine. An
// update that redeploys a color and gives it traffic at once (a rollback to an older release,
// ungated) would then route clients to the old, possibly bad, pods. So the environment is not
// done until requests for the color through the gateway come back from the new release only.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LazyDynamicResource } from "../../dynamic/lazy-provider";
import type { Color } from "../../types";

export interface ServedReleaseArgs {
  service: string;
  color: Color;
  /** The release the color's requests must answer with (`X-Runbook-Version`). */
  version: string;
  replicas: number;
  /** The gateway's address as this machine reaches it, and the Host header to send there. */
  url: string;
  host: string;
  /** How long to wait before the up fails. */
  timeoutSeconds: number;
}

export class ServedRelease extends LazyDynamicResource {
  declare readonly servedAt: pulumi.Output<string>;
  declare readonly waitedMs: pulumi.Output<number>;
  constructor(name: string, args: ServedReleaseArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(
      { module: path.join(__dirname, "served-release-provider.js"), export: "servedReleaseProvider" },
      name,
      { ...args, servedAt: undefined, waitedMs: undefined },
      opts,
    );
  }
}
