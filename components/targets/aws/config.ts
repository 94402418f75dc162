// The aws target's section of the stack config (`aws.*`).
import { z } from "zod";
import { configKey, integer, port } from "../../config/schema-helpers";

export const awsConfigSchema = z
  .object({
    /** Region of the service; the CloudWatch metrics the gates read are there. Enables error-rate and latency. */
    region: z.string().optional(),
    vpcId: z.string().optional(),
    subnetIds: z.array(z.string()).default([]),
    securityGroupIds: z.array(z.string()).default([]),
    // The ALB's own (usually public) subnets and security groups; empty means the tasks' ones.
    loadBalancerSubnetIds: z.array(z.string()).default([]),
    loadBalancerSecurityGroupIds: z.array(z.string()).default([]),
    image: z.string().optional(),
    cpu: integer(256, 16384, "from 256 to 16384 (CPU units)").default(256),
    memoryMiB: integer(512, 122880, "from 512 to 122880").default(512),
    containerPort: port().default(8080),
    listenerPort: integer(1, 65535, "from 1 to 65535").default(80),
    /** The ALB listener that only routes by X-Runbook-Color (CodeDeploy's test listener). */
    testListenerPort: integer(1, 65535, "from 1 to 65535").default(9000),
    certificateArn: z.string().optional(),
    stickinessSeconds: integer(0, 604800, "from 0 to 604800 (0 turns stickiness off)").default(0),
    dbInstanceIdentifier: z.string().default("runbook-db"),
    /** The service's PostgreSQL as the gate reaches it (a secret: it carries a password). Enables the database check. */
    databaseUrl: z.string().url({ message: "must be a URL (postgres://user:password@host:5432/db)" }).optional(),
    /** The service's Redis as the gate reaches it. Enables the cache check. */
    redisUrl: z.string().url({ message: "must be a URL (redis://host:6379)" }).optional(),
  })
  .strict()
  .default({});

export type AwsConfig = z.infer<typeof awsConfigSchema>;

const key = (f: string) => configKey(`aws.${f}`);

/** The ALB's subnets: its own when set, else the tasks'. */
export function loadBalancerSubnets(a: AwsConfig): string[] {
  return a.loadBalancerSubnetIds.length ? a.loadBalancerSubnetIds : a.subnetIds;
}

/** What the aws target needs beyond the schema; each problem names its key. */
export function awsConfigProblems(a: AwsConfig): string[] {
  const problems: string[] = [];
  if (!a.image) problems.push(`${key("image")}: is required on the aws target (the image repository; each color's version is the tag)`);
  if (!a.vpcId) problems.push(`${key("vpcId")}: is required on the aws target (the VPC of the target groups)`);
  if (a.subnetIds.length === 0) problems.push(`${key("subnetIds")}: must name at least 1 subnet for the tasks`);
  const lbSubnets = loadBalancerSubnets(a);
  if (lbSubnets.length < 2) {
    const which = a.loadBalancerSubnetIds.length ? "loadBalancerSubnetIds" : "subnetIds";
    problems.push(`${key(which)}: must name at least 2 subnets in different availability zones for the ALB (got ${lbSubnets.length})`);
  }
  if (a.testListenerPort === a.listenerPort) {
    problems.push(`${key("testListenerPort")}: must differ from ${key("listenerPort")} (both are ${a.listenerPort})`);
  }
  return problems;
}
