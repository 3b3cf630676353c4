/**
 * What the runtime hands to plugins besides the network config: CNI_ARGS and the capability
 * arguments that become `runtimeConfig` (see the CNI CONVENTIONS: portMappings, dns,
 * bandwidth, ipRanges).
 */
import type { PodNetworkRequest } from '@criod/core';
import { InvalidArgumentError, parseQuantity } from '@criod/core';
import type { IpRange } from './config.js';
import type { NetworkConfList, PluginConf } from './confload.js';

export const INGRESS_BANDWIDTH = 'kubernetes.io/ingress-bandwidth';
export const EGRESS_BANDWIDTH = 'kubernetes.io/egress-bandwidth';
/** Burst the kubelet always passed with a bandwidth annotation (bits). */
const BANDWIDTH_BURST = 2147483647;

export function cniArgs(req: PodNetworkRequest): [string, string][] {
  return [
    ['IgnoreUnknown', '1'],
    ['K8S_POD_NAMESPACE', req.namespace],
    ['K8S_POD_NAME', req.name],
    ['K8S_POD_INFRA_CONTAINER_ID', req.podId],
    ['K8S_POD_UID', req.uid],
  ];
}

function bandwidthArg(annotations: Record<string, string>): Record<string, number> | undefined {
  const out: Record<string, number> = {};
  for (const [key, prefix] of [
    [INGRESS_BANDWIDTH, 'ingress'],
    [EGRESS_BANDWIDTH, 'egress'],
  ] as const) {
    const text = annotations[key];
    if (text === undefined || text === '') continue;
    const quantity = parseQuantity(text);
    // Whole bits per second, rounded up as Kubernetes' Quantity.Value() does.
    const rate = quantity === undefined ? undefined : Math.ceil(quantity);
    if (rate === undefined || rate <= 0) {
      throw new InvalidArgumentError(`invalid pod annotation ${key}="${text}": not a positive quantity like "10M"`);
    }
    out[`${prefix}Rate`] = rate;
    out[`${prefix}Burst`] = BANDWIDTH_BURST;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Capability arguments of a pod; only the capabilities with data are present. */
export function capabilityArgs(req: PodNetworkRequest, ipRanges: IpRange[][]): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  const ports = req.portMappings.filter((p) => p.hostPort > 0);
  if (ports.length > 0) {
    args.portMappings = ports.map((p) => ({
      hostPort: p.hostPort,
      containerPort: p.containerPort,
      protocol: p.protocol.toLowerCase(),
      hostIP: p.hostIp,
    }));
  }
  if (req.dns && (req.dns.servers.length > 0 || req.dns.searches.length > 0 || req.dns.options.length > 0)) {
    args.dns = { servers: req.dns.servers, searches: req.dns.searches, options: req.dns.options };
  }
  const bandwidth = bandwidthArg(req.annotations);
  if (bandwidth) args.bandwidth = bandwidth;
  if (ipRanges.length > 0) args.ipRanges = ipRanges;
  return args;
}

/**
 * The stdin of one plugin of a list: its config with the list's name and cniVersion, the
 * previous result if any, and a runtimeConfig holding only the capabilities it declares.
 */
export function pluginStdin(list: NetworkConfList, plugin: PluginConf, prevResult: unknown, capArgs: Record<string, unknown>): string {
  const conf: Record<string, unknown> = { ...plugin, name: list.name, cniVersion: list.cniVersion };
  if (prevResult !== undefined) conf.prevResult = prevResult;
  const rc: Record<string, unknown> = {};
  for (const [cap, enabled] of Object.entries(plugin.capabilities ?? {})) {
    if (enabled && capArgs[cap] !== undefined) rc[cap] = capArgs[cap];
  }
  if (Object.keys(rc).length > 0) conf.runtimeConfig = rc;
  return JSON.stringify(conf);
}
