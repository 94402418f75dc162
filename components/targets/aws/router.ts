// Where traffic is split on the aws target: an Application Load Balancer.
// - AwsLoadBalancer (shared by both colors, created with the first environment): the ALB and its
//   test listener, where each environment adds its `X-Runbook-Color` rule. Gates reach a color
//   there before it takes traffic (the pattern of CodeDeploy's test listener).
// - AwsRouter: the active listener, whose default action forwards to both colors' target groups
//   with the blue/green traffic (optionally sticky), plus the same header rules, so the header
//   also works on the address users reach.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE } from "../../config/stack-config";
import { ROLE_TAG, ROLES } from "../../roles";
import { checkTraffic, Color, COLOR_HEADER, COLORS, PKG, Traffic } from "../../types";
import { colorHeaderRule } from "./environment";

/** TLS policy of HTTPS listeners. */
export const SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

export interface AwsLoadBalancerArgs {
  /** Service name (`service.name`), a tag. */
  service: string;
  /** Subnets of the ALB, in at least two availability zones. No default: required. */
  subnetIds: pulumi.Input<string>[];
  /** Security groups of the ALB (must allow both listener ports). Defaults to the VPC's default. */
  securityGroupIds?: pulumi.Input<string>[];
  /** Port of the test listener (header-routed only). Defaults to 9000. */
  testListenerPort?: number;
  /** ACM certificate: both listeners use HTTPS when set. Defaults to none (HTTP). */
  certificateArn?: pulumi.Input<string>;
}

export function validateAwsLoadBalancerArgs(a: AwsLoadBalancerArgs): void {
  if (a.subnetIds.length < 2) {
    throw new Error(`AwsLoadBalancer: subnetIds must name at least 2 subnets in different availability zones (got ${a.subnetIds.length})`);
  }
  const port = a.testListenerPort ?? 9000;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`AwsLoadBalancer: testListenerPort must be a port from 1 to 65535 (got ${port})`);
}

/** The ALB and its test listener, shared by a service's two colors and its router. */
export class AwsLoadBalancer extends pulumi.ComponentResource {
  readonly loadBalancer: aws.lb.LoadBalancer;
  readonly testListener: aws.lb.Listener;
  readonly arn: pulumi.Output<string>;
  /** `app/<name>/<id>`, the CloudWatch dimension of the ALB's metrics. */
  readonly arnSuffix: pulumi.Output<string>;
  readonly dnsName: pulumi.Output<string>;
  /** URL of the test listener: requests need `X-Runbook-Color`. */
  readonly testUrl: pulumi.Output<string>;
  readonly https: boolean;

  constructor(name: string, args: AwsLoadBalancerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(`${PKG}:aws:AwsLoadBalancer`, name, {}, opts);
    validateAwsLoadBalancerArgs(args);
    const testPort = args.testListenerPort ?? 9000;
    this.https = args.certificateArn !== undefined;
    this.loadBalancer = new aws.lb.LoadBalancer(
      `${name}-lb`,
      {
        loadBalancerType: "application",
        internal: false,
        subnets: args.subnetIds,
        securityGroups: args.securityGroupIds ?? [],
        dropInvalidHeaderFields: true,
        tags: { app: args.service },
      },
      { parent: this },
    );
    this.testListener = new aws.lb.Listener(
      `${name}-test`,
      {
        loadBalancerArn: this.loadBalancer.arn,
        port: testPort,
        ...listenerProtocol(args.certificateArn),
        defaultActions: [
          {
            type: "fixed-response",
            fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: `test listener: set ${COLOR_HEADER}: blue or green` },
          },
        ],
        tags: { app: args.service },
      },
      { parent: this },
    );
    this.arn = this.loadBalancer.arn;
    this.arnSuffix = this.loadBalancer.arnSuffix;
    this.dnsName = this.loadBalancer.dnsName;
    this.testUrl = pulumi.interpolate`${this.https ? "https" : "http"}://${this.dnsName}:${testPort}`;
    this.registerOutputs({ arn: this.arn, arnSuffix: this.arnSuffix, dnsName: this.dnsName, testUrl: this.testUrl });
  }
}

function listenerProtocol(certificateArn: pulumi.Input<string> | undefined) {
  return certificateArn !== undefined
    ? { protocol: "HTTPS", certificateArn, sslPolicy: SSL_POLICY }
    : { protocol: "HTTP" };
}

export interface AwsRouterArgs {
  /** Service name (`service.name`), a tag. */
  service: string;
  /** Traffic to apply. */
  traffic: Traffic;
  /** The shared ALB. No default: required. */
  loadBalancer: AwsLoadBalancer;
  /** The target group ARN of each color that has an environment. */
  targetGroups: Partial<Record<Color, pulumi.Input<string>>>;
  /** Port of the active listener. Defaults to 80. */
  listenerPort?: number;
  /** ACM certificate: the listener uses HTTPS when set. Defaults to none (HTTP). */
  certificateArn?: pulumi.Input<string>;
  /** Keep a client on the color it first reached for this long; 0 turns stickiness off. Defaults to 0. */
  stickinessSeconds?: number;
}

/** Throws a message naming each bad field. Pure: tested without mocks. */
export function validateAwsRouterArgs(a: AwsRouterArgs): void {
  checkTraffic("AwsRouter", a.traffic);
  for (const c of COLORS) {
    if (a.traffic[c] > 0 && a.targetGroups[c] === undefined) {
      throw new Error(`AwsRouter: traffic.${c} is ${a.traffic[c]} but ${c} has no environment (set ${CONFIG_NAMESPACE}:${c}.version)`);
    }
  }
  if (!COLORS.some((c) => a.targetGroups[c] !== undefined)) throw new Error("AwsRouter: targetGroups must name at least one color's target group");
  const s = a.stickinessSeconds ?? 0;
  if (!Number.isInteger(s) || s < 0 || s > 604800) {
    throw new Error(`AwsRouter: stickinessSeconds must be an integer from 0 to 604800 (got ${s})`);
  }
}

/**
 * The active listener's default action: forward to each color that has an environment with its
 * weight (0 keeps it registered but idle); a color without one is left out and gets nothing.
 */
export function weightedForwardAction(
  traffic: Traffic,
  targetGroups: Partial<Record<Color, pulumi.Input<string>>>,
  stickinessSeconds = 0,
): aws.types.input.lb.ListenerDefaultAction {
  return {
    type: "forward",
    forward: {
      targetGroups: COLORS.filter((c) => targetGroups[c] !== undefined).map((c) => ({ arn: targetGroups[c]!, weight: traffic[c] })),
      ...(stickinessSeconds > 0 ? { stickiness: { enabled: true, duration: stickinessSeconds } } : {}),
    },
  };
}

export class AwsRouter extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;
  readonly traffic: pulumi.Output<Traffic>;
  readonly listener: aws.lb.Listener;
  readonly headerRules: Partial<Record<Color, aws.lb.ListenerRule>> = {};

  constructor(name: string, args: AwsRouterArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(`${PKG}:aws:AwsRouter`, name, {}, opts);
    validateAwsRouterArgs(args);
    const port = args.listenerPort ?? 80;
    const tags = { app: args.service };
    // The listener that carries the traffic depends on the backup and the gates itself, so a failed gate
    // leaves traffic as it was. The Node SDK already holds a component's children back until the
    // component's own dependencies are registered, but the engine records dependsOn only on the
    // component; on the child it is in the engine's graph too (deletes, --target, other SDKs).
    this.listener = new aws.lb.Listener(
      `${name}-listener`,
      {
        loadBalancerArn: args.loadBalancer.arn,
        port,
        ...listenerProtocol(args.certificateArn),
        defaultActions: [weightedForwardAction(args.traffic, args.targetGroups, args.stickinessSeconds ?? 0)],
        tags: { ...tags, [ROLE_TAG]: ROLES.routerTraffic },
      },
      { parent: this, dependsOn: opts.dependsOn },
    );
    for (const c of COLORS) {
      const tg = args.targetGroups[c];
      if (tg !== undefined) this.headerRules[c] = colorHeaderRule(`${name}-${c}-header`, this.listener.arn, c, tg, tags, { parent: this });
    }
    const scheme = args.certificateArn !== undefined ? "https" : "http";
    const defaultPort = scheme === "https" ? 443 : 80;
    this.url = pulumi.interpolate`${scheme}://${args.loadBalancer.dnsName}${port === defaultPort ? "" : `:${port}`}`;
    this.traffic = pulumi.output({ blue: args.traffic.blue, green: args.traffic.green });
    this.registerOutputs({ url: this.url, traffic: this.traffic });
  }
}
