import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findExecutable } from '@criod/core';
import { criuReason, detectCriu } from '../criu.js';
import { eventually, makeEnv, runcList, type TestEnv } from './fixtures.js';

/** What `criu check` says on this machine, run apart from the code under test. */
const criuPath = await findExecutable('criu');
const criuCheck = (() => {
  if (!criuPath) return { installed: false, passes: false, output: '' };
  const run = spawnSync(criuPath, ['check'], { encoding: 'utf8' });
  return { installed: true, passes: run.status === 0, output: `${run.stdout}${run.stderr}` };
})();

describe('CRIU detection', () => {
  it("picks CRIU's first error line", () => {
    expect(criuReason('Warn (criu/kerndat.c:1): x\nError (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds\nError (criu/crtools.c:260): later\n')).toBe(
      'Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds',
    );
    expect(criuReason('\nsomething else\n')).toBe('something else');
  });

  it('agrees with `criu check` run by hand', async () => {
    const support = await detectCriu();
    expect(support.available).toBe(criuCheck.passes);
    if (!criuCheck.installed) expect(support.reason).toContain('apt-get install criu');
    else if (!criuCheck.passes) expect(support.reason).toContain(criuReason(criuCheck.output));
    else expect(support.reason).toBe('');
  });
});

describe('containers made from a checkpoint', () => {
  let env: TestEnv;
  beforeEach(async () => {
    env = await makeEnv();
  });
  afterEach(async () => {
    await env?.cleanup();
  });

  it('wait as created, holding the images, until start restores them; delete removes them', async () => {
    const images = join(env.dir, 'images');
    mkdirSync(images);
    writeFileSync(join(images, 'inventory.img'), 'criu images');
    const id = env.uniqueId('restore');
    expect(await env.runtime.createContainer({ ...env.request(id, { args: ['sleep', '60'] }), restoreFrom: images })).toEqual({ status: 'created', pid: 0 });
    expect(existsSync(images)).toBe(false);
    const bundle = join(env.runroot, 'containers', id);
    expect(readFileSync(join(bundle, 'checkpoint', 'inventory.img'), 'utf8')).toBe('criu images');
    expect(await env.runtime.containerState(id)).toEqual({ status: 'created', pid: 0 });
    expect(runcList(env.runcRoot)).not.toContain(id);
    await env.runtime.deleteContainer(id);
    expect(existsSync(bundle)).toBe(false);
  });

  it.skipIf(criuCheck.passes)('fails to start where CRIU cannot restore, keeping the images for another try', async () => {
    const images = join(env.dir, 'images');
    mkdirSync(images);
    const id = env.uniqueId('norestore');
    await env.runtime.createContainer({ ...env.request(id, { args: ['sleep', '60'] }), restoreFrom: images });
    await expect(env.runtime.startContainer(id)).rejects.toThrow(/restore/);
    expect(readdirSync(join(env.runroot, 'containers', id))).toContain('checkpoint');
    expect((await env.runtime.containerState(id)).status).toBe('created');
  });

  it.runIf(criuCheck.passes)('checkpoints a running container and restores its process into a new one', async () => {
    const id = env.uniqueId('live');
    await env.runtime.createContainer(env.request(id, { args: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i >/tmp/count; sleep 0.1; done'] }));
    await env.runtime.startContainer(id);
    expect(await eventually(() => existsSync(join(env.rootfs, 'tmp/count')), 10_000)).toBe(true);
    const images = join(env.dir, 'images');
    mkdirSync(images);
    let frozenCount = '';
    const { spec } = await env.runtime.checkpointContainer(id, {
      imagesDir: images,
      workDir: env.dir,
      timeoutSeconds: 120,
      whileFrozen: async () => {
        frozenCount = readFileSync(join(env.rootfs, 'tmp/count'), 'utf8');
      },
    });
    expect(spec).toEqual(JSON.parse(readFileSync(join(env.runroot, 'containers', id, 'config.json'), 'utf8')));
    expect(readdirSync(images).some((f) => f.endsWith('.img'))).toBe(true);
    expect((await env.runtime.containerState(id)).status).toBe('running');
    await env.runtime.stopContainer(id, 0, 'SIGKILL');

    const restored = env.uniqueId('restored');
    await env.runtime.createContainer({ ...env.request(restored, { args: ['sh', '-c', 'exit 7'] }), restoreFrom: images });
    await env.runtime.startContainer(restored);
    const state = await env.runtime.containerState(restored);
    expect(state.status).toBe('running');
    // The loop goes on from where it was frozen, not from the restored spec's args.
    expect(await eventually(() => Number(readFileSync(join(env.rootfs, 'tmp/count'), 'utf8')) > Number(frozenCount), 10_000)).toBe(true);
    expect(readFileSync(`/proc/${state.pid}/cmdline`, 'utf8')).toContain('while true');
  });
});
