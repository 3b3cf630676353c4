import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { findExecutable } from '@criod/core';
import { testContainerConfig } from '@criod/core/testing';
import { cri } from '@criod/cri-grpc';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { containerConfig } from './containers.js';
import { waitFor, type CriodInstance } from './harness.js';
import { startTestImages, type TestImages } from './images.js';
import { startPodFixture, type PodFixture } from './pod-fixture.js';

/** `criu check` run here, apart from criod: the live tests run only where it passes. */
const criuPath = await findExecutable('criu');
const criu = (() => {
  if (!criuPath) return { installed: false, passes: false, firstError: '' };
  const check = spawnSync(criuPath, ['check'], { encoding: 'utf8' });
  const lines = `${check.stdout}${check.stderr}`
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return { installed: true, passes: check.status === 0, firstError: lines.find((l) => l.startsWith('Error')) ?? lines[0] ?? '' };
})();

/** What criod must say where CRIU cannot run. */
const criuReason = criu.installed ? criu.firstError : 'apt-get install criu';

let images: TestImages;
let fx: PodFixture;
let criod: CriodInstance;
let podSandboxId: string;

beforeAll(async () => {
  images = await startTestImages();
});

afterAll(async () => {
  await images?.stop();
});

beforeEach(async () => {
  fx = await startPodFixture(images);
  ({ criod, podSandboxId } = fx);
});

afterEach(async () => {
  await fx?.cleanup();
});

const create = (config: cri.ContainerConfig) => criod.client.runtime.createContainer({ podSandboxId, config, sandboxConfig: undefined });

async function archiveEntries(archive: string): Promise<string[]> {
  return (await execa('tar', ['-tf', archive])).stdout.split('\n').sort();
}

describe('CheckpointContainer', () => {
  it('refuses bad input with the right codes', async () => {
    const id = await fx.run(['sleep', '3600']);
    const location = join(criod.dir, 'ckpt.tar');
    await expect(criod.client.runtime.checkpointContainer({ containerId: '', location, timeout: 0n })).rejects.toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
    });
    await expect(criod.client.runtime.checkpointContainer({ containerId: id, location: 'ckpt.tar', timeout: 0n })).rejects.toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
    });
    await expect(
      criod.client.runtime.checkpointContainer({ containerId: id, location: join(criod.dir, 'missing', 'ckpt.tar'), timeout: 0n }),
    ).rejects.toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
    });
    await expect(criod.client.runtime.checkpointContainer({ containerId: 'f'.repeat(64), location, timeout: 0n })).rejects.toMatchObject({
      code: GrpcStatus.NOT_FOUND,
    });
  });

  it.skipIf(criu.passes)("answers FAILED_PRECONDITION with CRIU's own reason where `criu check` fails, for checkpoint and restore", async () => {
    const id = await fx.run(['sleep', '3600']);
    const location = join(criod.dir, 'ckpt.tar');
    await expect(criod.client.runtime.checkpointContainer({ containerId: id, location, timeout: 0n })).rejects.toMatchObject({
      code: GrpcStatus.FAILED_PRECONDITION,
      details: expect.stringContaining(criuReason),
    });
    expect(existsSync(location)).toBe(false);
    expect((await criod.client.runtime.containerStatus({ containerId: id, verbose: false })).status?.state).toBe(cri.ContainerState.CONTAINER_RUNNING);

    // A well-formed archive: restoring it needs CRIU too.
    const staged = join(criod.dir, 'staged');
    mkdirSync(join(staged, 'checkpoint'), { recursive: true });
    const config = {
      id,
      name: 'app',
      rootfsImage: images.busybox,
      rootfsImageRef: images.busybox,
      rootfsImageName: images.busybox,
      runtime: 'runc',
      createdTime: new Date().toISOString(),
      checkpointedTime: new Date().toISOString(),
    };
    writeFileSync(
      join(staged, 'config.dump'),
      JSON.stringify({ ...config, criod: { podId: podSandboxId, imageId: '', containerConfig: testContainerConfig('app', { image: images.busybox }) } }),
    );
    writeFileSync(join(staged, 'spec.dump'), JSON.stringify({ ociVersion: '1.0.2', annotations: {} }));
    const archive = join(criod.dir, 'staged.tar');
    await execa('tar', ['-cf', archive, '-C', staged, 'checkpoint', 'config.dump', 'spec.dump']);
    await expect(create(containerConfig(archive, []))).rejects.toMatchObject({
      code: GrpcStatus.FAILED_PRECONDITION,
      details: expect.stringContaining(criuReason),
    });
    const containers = await criod.client.runtime.listContainers({ filter: undefined });
    expect(containers.containers.map((c) => c.id)).toEqual([id]);
  });

  it('answers INVALID_ARGUMENT for a CreateContainer image path that is not a checkpoint archive, NOT_FOUND for none', async () => {
    const corrupt = join(criod.dir, 'corrupt.tar');
    writeFileSync(corrupt, 'not a tar archive '.repeat(64));
    await expect(create(containerConfig(corrupt, []))).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, details: expect.stringContaining(corrupt) });
    await expect(create(containerConfig(join(criod.dir, 'absent.tar'), []))).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
    expect((await criod.client.runtime.listContainers({ filter: undefined })).containers).toEqual([]);
  });

  it.runIf(criu.passes)('checkpoints a running container and restores it, process and rootfs changes, into a new container', async () => {
    const id = await fx.run(['sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i >/tmp/count; sleep 0.2; done']);
    await criod.client.runtime.execSync({ containerId: id, cmd: ['sh', '-c', 'echo kept >/marker && rm /etc/group'], timeout: 10n });
    const read = async (containerId: string, cmd: string[]) =>
      (await criod.client.runtime.execSync({ containerId, cmd, timeout: 10n })).stdout.toString().trim();
    await waitFor('the counter', async () => Number(await read(id, ['cat', '/tmp/count'])) > 2);
    const location = join(criod.dir, 'ckpt.tar');
    await criod.client.runtime.checkpointContainer({ containerId: id, location, timeout: 120n });
    const entries = await archiveEntries(location);
    for (const name of ['checkpoint/', 'config.dump', 'spec.dump', 'rootfs-diff.tar', 'deleted.files']) expect(entries).toContain(name);
    expect(entries.some((e) => /^checkpoint\/.+\.img$/.test(e))).toBe(true);
    const counted = Number(await read(id, ['cat', '/tmp/count']));
    expect((await criod.client.runtime.containerStatus({ containerId: id, verbose: false })).status?.state).toBe(cri.ContainerState.CONTAINER_RUNNING);
    await criod.client.runtime.stopContainer({ containerId: id, timeout: 0n });
    await criod.client.runtime.removeContainer({ containerId: id });

    const { containerId: restored } = await create(containerConfig(location, []));
    expect((await criod.client.runtime.containerStatus({ containerId: restored, verbose: false })).status?.state).toBe(cri.ContainerState.CONTAINER_CREATED);
    await criod.client.runtime.startContainer({ containerId: restored });
    expect((await criod.client.runtime.containerStatus({ containerId: restored, verbose: false })).status?.state).toBe(cri.ContainerState.CONTAINER_RUNNING);
    expect(await read(restored, ['cat', '/marker'])).toBe('kept');
    expect(await read(restored, ['sh', '-c', 'test -e /etc/group && echo present || echo gone'])).toBe('gone');
    await waitFor('the restored counter to go on', async () => Number(await read(restored, ['cat', '/tmp/count'])) > counted);
  });
});
