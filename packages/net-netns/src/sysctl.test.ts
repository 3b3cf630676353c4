import { InvalidArgumentError, type NamespaceKind } from '@criod/core';
import { describe, expect, it } from 'vitest';
import { planSysctls, sysctlComponents, sysctlNamespace } from './sysctl.js';

const all = new Set<NamespaceKind>(['net', 'ipc', 'uts']);

function kindOf(key: string): NamespaceKind | undefined {
  const parts = sysctlComponents(key);
  return parts && sysctlNamespace(parts);
}

describe('sysctl classification', () => {
  it('maps namespaced sysctls to their namespace', () => {
    expect(kindOf('net.ipv4.ip_forward')).toBe('net');
    expect(kindOf('net.core.somaxconn')).toBe('net');
    expect(kindOf('net/ipv4/conf/eth0.100/forwarding')).toBe('net');
    for (const k of ['kernel.shmmax', 'kernel.shmall', 'kernel.shm_rmid_forced', 'kernel.msgmax', 'kernel.msgmnb', 'kernel.sem', 'fs.mqueue.queues_max']) {
      expect(kindOf(k), k).toBe('ipc');
    }
    expect(kindOf('kernel.domainname')).toBe('uts');
  });

  it('leaves everything else unnamespaced', () => {
    for (const k of ['kernel.panic', 'vm.swappiness', 'fs.file-max', 'kernel.sem.x', 'fs.mqueue', 'kernel.semaphore', 'user.max_user_namespaces']) {
      expect(kindOf(k), k).toBeUndefined();
    }
  });

  it('splits names as sysctl(8) does and rejects path tricks', () => {
    expect(sysctlComponents('net.ipv4.ip_forward')).toEqual(['net', 'ipv4', 'ip_forward']);
    expect(sysctlComponents('net/ipv4/conf/eth0.100/forwarding')).toEqual(['net', 'ipv4', 'conf', 'eth0.100', 'forwarding']);
    for (const bad of ['net/../kernel/panic', 'net/./x', 'net..x', 'net', '', 'net.ipv4.ip forward', 'net/ipv4/']) {
      expect(sysctlComponents(bad), bad).toBeUndefined();
    }
  });
});

describe('planSysctls', () => {
  it('plans paths, dotted keys and kinds', () => {
    expect(planSysctls({ 'net.ipv4.ip_unprivileged_port_start': '0', 'net/ipv4/conf/eth0.1/forwarding': '1', 'kernel.sem': '250 32000 32 128' }, all)).toEqual([
      { key: 'net.ipv4.ip_unprivileged_port_start', path: 'net/ipv4/ip_unprivileged_port_start', value: '0', kind: 'net' },
      { key: 'net.ipv4.conf.eth0.1.forwarding', path: 'net/ipv4/conf/eth0.1/forwarding', value: '1', kind: 'net' },
      { key: 'kernel.sem', path: 'kernel/sem', value: '250 32000 32 128', kind: 'ipc' },
    ]);
    expect(planSysctls(undefined, all)).toEqual([]);
  });

  it('refuses non-namespaced sysctls, naming them', () => {
    expect(() => planSysctls({ 'net.ipv4.ip_forward': '1', 'kernel.panic': '1' }, all)).toThrow(InvalidArgumentError);
    expect(() => planSysctls({ 'kernel.panic': '1' }, all)).toThrow(/kernel\.panic.*not namespaced/);
    expect(() => planSysctls({ 'kernel.hostname': 'x' }, all)).toThrow(/kernel\.hostname/);
    expect(() => planSysctls({ 'net/../../etc': 'x' }, all)).toThrow(InvalidArgumentError);
  });

  it('refuses sysctls of a namespace shared with the host', () => {
    expect(() => planSysctls({ 'net.core.somaxconn': '1024' }, new Set(['ipc', 'uts']))).toThrow(/net\.core\.somaxconn.*net namespace/);
    expect(() => planSysctls({ 'kernel.shmmni': '1024' }, new Set(['net']))).toThrow(/kernel\.shmmni.*ipc namespace/);
  });

  it('refuses control characters in values', () => {
    expect(() => planSysctls({ 'net.ipv4.ip_forward': '1\n0' }, all)).toThrow(/control characters/);
    expect(planSysctls({ 'kernel.sem': '1\t2\t3\t4' }, all)).toHaveLength(1);
  });
});
