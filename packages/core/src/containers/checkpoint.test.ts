import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../logger.js';
import { CriService } from '../service.js';
import { fakePluginSet, testContainerConfig, testImage, testPodConfig, type FakePluginSet } from '../testing/index.js';

let dir: string;
let runroot: string;
let plugins: FakePluginSet;
let svc: CriService;
let podId: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'criod-checkpoint-'));
  runroot = join(dir, 'run');
  mkdirSync(runroot);
  plugins = fakePluginSet();
  plugins.images.images.set(testImage().id, testImage());
  svc = new CriService(plugins, silentLogger, { runtimeVersion: 't', runroot });
  podId = await svc.runPodSandbox(testPodConfig('web', { logDirectory: join(dir, 'logs') }), '');
});

afterEach(async () => {
  for (const pod of svc.listPodSandbox()) await svc.removePodSandbox(pod.id);
  rmSync(dir, { recursive: true, force: true });
});

async function runningContainer(name = 'app'): Promise<string> {
  const id = await svc.createContainer(
    podId,
    testContainerConfig(name, { mounts: [{ containerPath: '/data', hostPath: dir, readonly: false, selinuxRelabel: false, propagation: 'private' }] }),
  );
  await svc.startContainer(id);
  return id;
}

/** The archive's entries, read back by GNU tar as checkpointctl would read them by name. */
function entries(archive: string): string[] {
  return execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }).trim().split('\n').sort();
}

function readEntry(archive: string, name: string): string {
  return execFileSync('tar', ['-xOf', archive, name], { encoding: 'utf8' });
}

describe('CheckpointContainer', () => {
  it('writes one archive in the checkpointctl layout: images, spec, config, rootfs diff and deletions', async () => {
    const id = await runningContainer();
    plugins.images.rootfsChanges.set(id, { files: { 'tmp/state': 'counted to 7' }, deleted: ['etc/motd'] });
    const archive = join(dir, 'app.tar');
    await svc.checkpointContainer(id, archive, 0);

    expect(entries(archive)).toEqual(['checkpoint/', 'checkpoint/pages-1.img', 'config.dump', 'deleted.files', 'dump.log', 'rootfs-diff.tar', 'spec.dump']);
    expect(statSync(archive).mode & 0o777).toBe(0o600);
    const config = JSON.parse(readEntry(archive, 'config.dump'));
    expect(config).toMatchObject({
      id,
      name: 'app',
      rootfsImage: 'example.test/busybox:latest',
      rootfsImageName: 'example.test/busybox:latest',
      rootfsImageRef: testImage().repoDigests[0],
      runtime: 'runc',
    });
    expect(Date.parse(config.createdTime)).toBeGreaterThan(0);
    expect(Date.parse(config.checkpointedTime)).toBeGreaterThan(0);
    expect(JSON.parse(readEntry(archive, 'spec.dump'))).toEqual(plugins.runtime.containers.get(id)!.req.spec);
    expect(JSON.parse(readEntry(archive, 'deleted.files'))).toEqual(['etc/motd']);
    // The container keeps running, and nothing is left in the staging dir.
    expect((await svc.containerStatus(id, false)).container.state).toBe('running');
    expect(readdirSync(join(runroot, 'checkpoints'))).toEqual([]);
  });

  it('refuses bad input with the right codes', async () => {
    const id = await runningContainer();
    await expect(svc.checkpointContainer('', join(dir, 'a.tar'), 0)).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(svc.checkpointContainer(id, 'relative.tar', 0)).rejects.toMatchObject({
      code: 'InvalidArgument',
      message: expect.stringContaining('absolute'),
    });
    await expect(svc.checkpointContainer(id, join(dir, 'no-such-dir', 'a.tar'), 0)).rejects.toMatchObject({
      code: 'InvalidArgument',
      message: expect.stringContaining('does not exist'),
    });
    await expect(svc.checkpointContainer(id, dir, 0)).rejects.toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('directory') });
    await expect(svc.checkpointContainer(id, join(dir, 'a.tar'), -1)).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(svc.checkpointContainer('0123456789abcdef', join(dir, 'a.tar'), 0)).rejects.toMatchObject({ code: 'NotFound' });
    const created = await svc.createContainer(podId, testContainerConfig('idle'));
    await expect(svc.checkpointContainer(created, join(dir, 'a.tar'), 0)).rejects.toMatchObject({
      code: 'FailedPrecondition',
      message: expect.stringContaining('not running'),
    });
  });

  it('answers FailedPrecondition with the runtime reason where checkpointing cannot work', async () => {
    const id = await runningContainer();
    plugins.runtime.checkpoint = { available: false, reason: 'criu check failed: Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds' };
    await expect(svc.checkpointContainer(id, join(dir, 'a.tar'), 0)).rejects.toMatchObject({
      code: 'FailedPrecondition',
      message: expect.stringContaining('Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds'),
    });
    expect(readdirSync(dir)).not.toContain('a.tar');
  });
});

describe('CreateContainer from a checkpoint archive', () => {
  async function checkpointed(): Promise<{ id: string; archive: string }> {
    const id = await runningContainer();
    plugins.images.rootfsChanges.set(id, { files: { 'tmp/state': 'counted to 7' }, deleted: ['etc/motd'] });
    const archive = join(dir, 'app.tar');
    await svc.checkpointContainer(id, archive, 0);
    return { id, archive };
  }

  it('makes a container of the checkpointed image and process, with its rootfs changes and process images', async () => {
    const { id: original, archive } = await checkpointed();
    const mounts = [{ containerPath: '/data', hostPath: dir, readonly: true, selinuxRelabel: false, propagation: 'private' as const }];
    const id = await svc.createContainer(podId, testContainerConfig('restored', { image: archive, command: [], mounts, labels: { from: 'kubelet' } }));
    const { container } = await svc.containerStatus(id, false);
    expect(container).toMatchObject({ state: 'created', imageRef: testImage().repoDigests[0], labels: { from: 'kubelet' } });
    expect(container.name).toBe('restored');
    const fake = plugins.runtime.containers.get(id)!;
    expect(fake.restoredImages).toEqual({ 'pages-1.img': `memory of ${original}` });
    expect((fake.req.spec as { process: { args: string[] } }).process.args).toEqual(['/bin/sh', '-c', 'sleep 3600']);
    expect(plugins.images.rootfsChanges.get(id)).toEqual({ files: { 'tmp/state': 'counted to 7' }, deleted: ['etc/motd'] });
    await svc.startContainer(id);
    expect((await svc.containerStatus(id, false)).container.state).toBe('running');
    expect(readdirSync(join(runroot, 'checkpoints'))).toEqual([]);
  });

  it('needs every bind mount of the checkpoint asked for again', async () => {
    const { archive } = await checkpointed();
    await expect(svc.createContainer(podId, testContainerConfig('restored', { image: archive }))).rejects.toMatchObject({
      code: 'InvalidArgument',
      message: expect.stringContaining('/data'),
    });
  });

  it('refuses an archive whose spec.dump is not an OCI spec, naming the fields at fault', async () => {
    const { archive } = await checkpointed();
    const unpacked = join(dir, 'unpacked');
    mkdirSync(unpacked);
    execFileSync('tar', ['-xf', archive, '-C', unpacked]);
    writeFileSync(join(unpacked, 'spec.dump'), JSON.stringify({ process: { args: ['sh'], user: { uid: 'root', gid: 0 } } }));
    const tampered = join(dir, 'tampered.tar');
    execFileSync('tar', ['-cf', tampered, '-C', unpacked, ...readdirSync(unpacked)]);
    const mounts = [{ containerPath: '/data', hostPath: dir, readonly: false, selinuxRelabel: false, propagation: 'private' as const }];
    const refused = await svc.createContainer(podId, testContainerConfig('r', { image: tampered, mounts })).catch((err: unknown) => err);
    expect(refused).toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('spec.dump is not an OCI runtime spec') });
    for (const field of ['at ociVersion', 'at process.cwd', 'at process.user.uid']) expect((refused as Error).message).toContain(field);
    expect((await svc.listContainers()).map((c) => c.name)).toEqual(['app']);
    expect(readdirSync(join(runroot, 'checkpoints'))).toEqual([]);
  });

  it('refuses a missing or corrupt archive, and answers FailedPrecondition where restoring cannot work', async () => {
    await expect(svc.createContainer(podId, testContainerConfig('r', { image: join(dir, 'none.tar') }))).rejects.toMatchObject({ code: 'NotFound' });
    const corrupt = join(dir, 'corrupt.tar');
    writeFileSync(corrupt, 'this is not a tar archive at all, not even close'.repeat(20));
    await expect(svc.createContainer(podId, testContainerConfig('r', { image: corrupt }))).rejects.toMatchObject({ code: 'InvalidArgument' });
    const notCheckpoint = join(dir, 'plain.tar');
    writeFileSync(join(dir, 'hello'), 'hi');
    execFileSync('tar', ['-cf', notCheckpoint, '-C', dir, 'hello']);
    await expect(svc.createContainer(podId, testContainerConfig('r', { image: notCheckpoint }))).rejects.toMatchObject({
      code: 'InvalidArgument',
      message: expect.stringContaining('config.dump'),
    });

    const { archive } = await checkpointed();
    plugins.runtime.checkpoint = { available: false, reason: 'criu is not installed' };
    await expect(
      svc.createContainer(
        podId,
        testContainerConfig('r', {
          image: archive,
          mounts: [{ containerPath: '/data', hostPath: dir, readonly: false, selinuxRelabel: false, propagation: 'private' }],
        }),
      ),
    ).rejects.toMatchObject({
      code: 'FailedPrecondition',
      message: expect.stringContaining('criu is not installed'),
    });
    expect((await svc.listContainers()).map((c) => c.name)).toEqual(['app']);
    expect(readdirSync(join(runroot, 'checkpoints'))).toEqual([]);
  });
});
