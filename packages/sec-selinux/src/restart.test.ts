import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CriService, silentLogger } from '@criod/core';
import { fakePluginSet, testContainerConfig, testImage, testPodConfig, type FakePluginSet } from '@criod/core/testing';
import { createSelinuxPlugin, selinuxConfigSchema, selinuxPluginName } from './selinux.js';
import { parseSelinuxLabel } from './selinux-levels.js';

// SELinux is off on the test machines: the plugin is told it is on, which is all its level bookkeeping looks at.
const enabledHost = { enabled: true, mode: 'enforcing' as const };

let runroot: string;
let plugins: FakePluginSet;
let svc: CriService;

/** A criod start: a fresh SELinux plugin (no levels held) over the same store and runtime. */
async function start(): Promise<void> {
  plugins.security = [createSelinuxPlugin(selinuxConfigSchema.parse({}), silentLogger, enabledHost)];
  svc = new CriService(plugins, silentLogger, { runtimeVersion: 't', runroot });
  await svc.restore();
}

async function containerLevel(podId: string, name: string): Promise<string> {
  const id = await svc.createContainer(podId, testContainerConfig(name));
  const { spec } = plugins.runtime.containers.get(id)!.req;
  return parseSelinuxLabel(spec.process?.selinuxLabel ?? '').level;
}

beforeEach(async () => {
  runroot = await mkdtemp(join(tmpdir(), 'criod-selinux-restart-'));
  plugins = fakePluginSet();
  plugins.images.images.set(testImage().id, testImage());
  await start();
});

afterEach(async () => {
  for (const pod of svc.listPodSandbox()) await svc.removePodSandbox(pod.id);
  await rm(runroot, { recursive: true, force: true });
});

describe('MCS levels across a criod restart', () => {
  it('gives a pod the level it was assigned before the restart, and a new pod another', async () => {
    const config = testPodConfig('web');
    delete config.linux.securityContext.selinux;
    const podId = await svc.runPodSandbox(config, '');
    const level = await containerLevel(podId, 'before');
    expect(level).toMatch(/^s0:c\d+,c\d+$/);
    expect((await plugins.records.pods.get(podId))?.securityState).toEqual({ [selinuxPluginName]: { level } });

    await start();
    expect(await containerLevel(podId, 'after')).toBe(level);
    const otherConfig = testPodConfig('other');
    delete otherConfig.linux.securityContext.selinux;
    const other = await svc.runPodSandbox(otherConfig, '');
    expect(await containerLevel(other, 'app')).not.toBe(level);
  });
});
