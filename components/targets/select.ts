// Picks the target from `target` in the stack config. Cloud targets are loaded only when chosen:
// their SDKs are large and the local target never needs them.
import { BlueGreenTarget, TargetContext } from "./target";

export async function selectTarget(ctx: TargetContext): Promise<BlueGreenTarget> {
  switch (ctx.config.target) {
    case "local":
      return (await import("./local/target")).localTarget(ctx);
    case "kubernetes":
      return (await import("./kubernetes/target")).kubernetesTarget(ctx);
    case "aws":
      return (await import("./aws/target")).awsTarget(ctx);
  }
}
