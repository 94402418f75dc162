// The targets this project ships, registered by name. Each folder's index.ts is light (its config
// schema and how the policy pack reads its resources); its SDK loads only when the target is chosen.
import { awsTargetDefinition } from "./aws/index";
import { kubernetesTargetDefinition } from "./kubernetes/index";
import { localTargetDefinition } from "./local/index";
import { registerTarget } from "./registry";

registerTarget(localTargetDefinition);
registerTarget(kubernetesTargetDefinition);
registerTarget(awsTargetDefinition);
