import { isAbsolute } from 'node:path';
import { requireUserForGroup } from '../containers/spec/user.js';
import { InvalidArgumentError } from '../errors.js';
import type { PodSandboxConfig } from '../types.js';

const hostnamePattern = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*$/;

/** The unique pod name kubelet expects criod to reserve: name_namespace_uid_attempt. */
export function podFullName(config: PodSandboxConfig): string {
  const m = config.metadata;
  return `${m.name}_${m.namespace}_${m.uid}_${m.attempt}`;
}

/** Reject what kubelet would never send and what would make paths or names unsafe. */
export function validatePodConfig(config: PodSandboxConfig): void {
  const m = config.metadata;
  for (const [field, value] of [['name', m.name], ['namespace', m.namespace], ['uid', m.uid]] as const) {
    if (!value) throw new InvalidArgumentError(`pod sandbox metadata.${field} must not be empty`);
    if (/[/\0\n]/.test(value)) {
      throw new InvalidArgumentError(`pod sandbox metadata.${field} ${JSON.stringify(value)} contains a character that is not allowed`);
    }
    if (value.length > 253) throw new InvalidArgumentError(`pod sandbox metadata.${field} is longer than 253 characters`);
  }
  if (!Number.isInteger(m.attempt) || m.attempt < 0) throw new InvalidArgumentError(`pod sandbox metadata.attempt must be a non-negative integer`);
  if (config.hostname && (config.hostname.length > 64 || !hostnamePattern.test(config.hostname))) {
    throw new InvalidArgumentError(`pod hostname ${JSON.stringify(config.hostname)} is not a valid hostname`);
  }
  if (config.logDirectory && !isAbsolute(config.logDirectory)) {
    throw new InvalidArgumentError(`pod log_directory ${JSON.stringify(config.logDirectory)} must be an absolute path`);
  }
  for (const pm of config.portMappings) {
    if (!Number.isInteger(pm.containerPort) || pm.containerPort < 1 || pm.containerPort > 65535) {
      throw new InvalidArgumentError(`port mapping container_port ${pm.containerPort} is out of range 1-65535`);
    }
    if (!Number.isInteger(pm.hostPort) || pm.hostPort < 0 || pm.hostPort > 65535) {
      throw new InvalidArgumentError(`port mapping host_port ${pm.hostPort} is out of range 0-65535`);
    }
  }
  for (const server of config.dnsConfig?.servers ?? []) {
    if (!/^[0-9a-fA-F:.]+(%[\w.-]+)?$/.test(server)) throw new InvalidArgumentError(`DNS server ${JSON.stringify(server)} is not an IP address`);
  }
  for (const entry of [...(config.dnsConfig?.searches ?? []), ...(config.dnsConfig?.options ?? [])]) {
    if (/[\s\0]/.test(entry)) throw new InvalidArgumentError(`DNS search or option ${JSON.stringify(entry)} contains white space`);
  }
  requireUserForGroup('pod sandbox', config.linux.securityContext);
  const ns = config.linux.securityContext.namespaceOptions;
  if (ns.network === 'container' || ns.network === 'target') throw new InvalidArgumentError(`pod network namespace mode ${ns.network} is not supported (use POD or NODE)`);
  if (ns.ipc === 'container' || ns.ipc === 'target') throw new InvalidArgumentError(`pod IPC namespace mode ${ns.ipc} is not supported (use POD or NODE)`);
}
