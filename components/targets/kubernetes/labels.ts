// Labels the kubernetes target puts on its pods, in a module of their own so the commands that
// select pods (npm run logs) need not load the Kubernetes SDK.

/** Pod label naming the stack, which the cluster's Prometheus puts on every series it scrapes. */
export const STACK_LABEL = "deployment-runbook/stack";
