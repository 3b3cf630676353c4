/**
 * The pod sandbox under runc: the infra container runs at once under runc alone (no conmon), the
 * pod's containers join its PID namespace by the path containerState names, and stop and remove
 * end it. Real runc with a busybox rootfs; the fixture removes everything made.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RuntimeSandbox } from '@criod/core';
import { testPodConfig } from '@criod/core/testing';
import { conmonPidsOf, eventually, makeEnv, runcList, type TestEnv } from './fixtures.js';

let env: TestEnv;
beforeEach(async () => {
  env = await makeEnv();
});
afterEach(async () => {
  await env?.cleanup();
});

/** A pod sharing one PID namespace, whose infra runs `sleep 600`, run by the runtime. */
async function runSandbox(): Promise<RuntimeSandbox> {
  const infraContainerId = env.uniqueId('infra');
  const config = testPodConfig('shared');
  config.linux.securityContext.namespaceOptions = { network: 'node', pid: 'pod', ipc: 'node', targetId: '' };
  const sandbox: RuntimeSandbox = { podId: env.uniqueId('pod'), handler: '', config, namespaces: [], infraContainerId };
  await env.runtime.runPodSandbox(sandbox, env.request(infraContainerId, { args: ['sleep', '600'] }));
  return sandbox;
}

describe('pod sandbox', () => {
  it('runs the infra at once under runc alone, and a container joins its PID namespace by the path it names', async () => {
    const sandbox = await runSandbox();
    const infra = sandbox.infraContainerId!;
    const state = await env.runtime.containerState(infra);
    expect(state).toEqual({ status: 'running', pid: expect.any(Number), pidNamespacePath: `/proc/${state.pid}/ns/pid` });
    expect(conmonPidsOf(infra)).toEqual([]);

    const app = env.uniqueId('app');
    const req = env.request(app, { args: ['sleep', '601'] });
    const linux = req.spec.linux as { namespaces: { type: string; path?: string }[] };
    linux.namespaces = linux.namespaces.map((ns) => (ns.type === 'pid' ? { type: 'pid', path: state.pidNamespacePath } : ns));
    await env.runtime.createContainer(req);
    await env.runtime.startContainer(app);
    const ps = await env.runtime.execSync(app, ['ps', '-o', 'pid,args'], 10);
    expect(ps.stdout.toString()).toMatch(/^\s*1 sleep 600$/m);
    expect(ps.stdout.toString()).toContain('sleep 601');
  });

  it('kills the infra at stop and deletes it from runc at remove, each twice without error', async () => {
    const sandbox = await runSandbox();
    const infra = sandbox.infraContainerId!;
    const { pid } = await env.runtime.containerState(infra);
    await env.runtime.stopPodSandbox(sandbox);
    expect((await env.runtime.containerState(infra)).status).toBe('stopped');
    expect(await eventually(() => !pidAlive(pid))).toBe(true);
    await env.runtime.stopPodSandbox(sandbox);
    await env.runtime.removePodSandbox(sandbox);
    await env.runtime.removePodSandbox(sandbox);
    expect(runcList(env.runcRoot)).not.toContain(infra);
    await expect(env.runtime.containerState(infra)).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('finds the infra again after a restart, and stops and removes it from there', async () => {
    const sandbox = await runSandbox();
    const infra = sandbox.infraContainerId!;
    const before = await env.runtime.containerState(infra);
    const after = await env.newRuntime();
    try {
      expect(await after.containerState(infra)).toEqual(before);
      await after.removePodSandbox(sandbox);
      expect(runcList(env.runcRoot)).not.toContain(infra);
      expect(await eventually(() => !pidAlive(before.pid))).toBe(true);
    } finally {
      await after.close();
    }
  });

  it('refuses to resize the sandbox of a handler no longer configured, and has nothing to resize otherwise', async () => {
    const sandbox = await runSandbox();
    await expect(env.runtime.updatePodSandboxResources(sandbox, undefined, undefined)).resolves.toBeUndefined();
    await expect(env.runtime.updatePodSandboxResources({ ...sandbox, handler: 'gone' }, undefined, undefined)).rejects.toMatchObject({
      code: 'InvalidArgument',
      message: expect.stringContaining('gone'),
    });
  });
});

/** The process exists and is not a zombie. */
function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}
