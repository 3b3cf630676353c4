import { isAbsolute } from 'node:path';
import { requireUserForGroup } from '../containers/spec/user.js';
import { InvalidArgumentError } from '../errors.js';
import type { PodSandboxConfig } from '../types.js';

const hostnamePattern = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*$/;

/**
 * The unique pod name kubelet expects criod to reserve: name_namespace_uid_attempt. Kubernetes
 * names hold no '_'; other clients' may, so '%' and '_' inside a part are escaped and `p_q`/`r`
 * cannot take the name of `p`/`q_r`.
 */
export function podFullName(config: PodSandboxConfig): string {
  const m = config.metadata;
  const part = (s: string) => s.replaceAll('%', '%25').replaceAll('_', '%5F');
  return `${part(m.name)}_${part(m.namespace)}_${part(m.uid)}_${m.attempt}`;
}

/** Reject what kubelet would never send and what would make paths or names unsafe. */
export function validatePodConfig(config: PodSandboxConfig): void {
  const m = config.metadata;
  for (const [field, value] of [
    ['name', m.name],
    ['namespace', m.namespace],
    ['uid', m.uid],
  ] as const) {
    if (!value) throw new InvalidArgumentError(`pod sandbox metadata.${field} must not be empty`);
    // ';' and '=' would break CNI_ARGS (K8S_POD_NAME=…;…), '/' paths, control characters logs.
    if (/[/;=\p{Cc}]/u.test(value)) {
      throw new InvalidArgumentError(
        `pod sandbox metadata.${field} ${JSON.stringify(value)} contains a character that is not allowed ('/', ';', '=' or a control character)`,
      );
    }
    if (value.length > 253) throw new InvalidArgumentError(`pod sandbox metadata.${field} is longer than 253 characters`);
  }
  if (!Number.isInteger(m.attempt) || m.attempt < 0) throw new InvalidArgumentError(`pod sandbox metadata.attempt must be a non-negative integer`);
  if (config.hostname && (config.hostname.length > 64 || !hostnamePattern.test(config.hostname))) {
    throw new InvalidArgumentError(`pod hostname ${JSON.stringify(config.hostname)} is not a valid hostname`);
  }
  if (config.logDirectory) validateLogDirectory(config.logDirectory);
  if (config.linux.cgroupParent) validateCgroupParent(config.linux.cgroupParent);
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
  if (ns.network === 'container' || ns.network === 'target')
    throw new InvalidArgumentError(`pod network namespace mode ${ns.network} is not supported (use POD or NODE)`);
  if (ns.ipc === 'container' || ns.ipc === 'target') throw new InvalidArgumentError(`pod IPC namespace mode ${ns.ipc} is not supported (use POD or NODE)`);
}

/** An absolute path with no '..' (which would lead container logs anywhere on the node) and no NUL. */
function validateLogDirectory(dir: string): void {
  if (!isAbsolute(dir)) throw new InvalidArgumentError(`pod log_directory ${JSON.stringify(dir)} must be an absolute path`);
  if (dir.includes('\0')) throw new InvalidArgumentError('pod log_directory contains a NUL character');
  if (dir.split('/').includes('..')) throw new InvalidArgumentError(`pod log_directory ${JSON.stringify(dir)} must not contain '..'`);
}

/**
 * kubelet sends a cgroupfs path (/kubepods/burstable/pod<uid>) or a systemd slice
 * (kubepods-burstable-pod<uid>.slice); anything else could place containers in any cgroup.
 */
function validateCgroupParent(parent: string): void {
  const isPath = parent.startsWith('/') && !parent.split('/').includes('..') && !/[\p{Cc}]/u.test(parent);
  const isSlice = /^[A-Za-z0-9_.:@\\-]+\.slice$/.test(parent);
  if (!isPath && !isSlice) {
    throw new InvalidArgumentError(`pod cgroup_parent ${JSON.stringify(parent)} is neither an absolute cgroup path without '..' nor a systemd slice`);
  }
}
