import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newSpawnHelper, spawnHelper } from '../linux/spawn-helper.js';
import { execCommand } from './exec.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'criod-exec-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('execCommand through the spawn helper', () => {
  it('runs here through the resident helper', async () => {
    expect(await spawnHelper()).toBeDefined();
  });

  it('passes input, args, env and cwd and returns output and exit code', async () => {
    const r = await execCommand('/bin/sh', ['-c', 'read line; echo "$line|$1|$FOO|$(pwd)"; echo oops >&2; exit 3', 'sh', 'arg one'], {
      input: 'from stdin\nsecond line',
      env: { FOO: 'bar=baz', PATH: '/usr/bin:/bin' },
      cwd: dir,
    });
    expect(r).toEqual({ exitCode: 3, signal: undefined, timedOut: false, error: undefined, stdout: `from stdin|arg one|bar=baz|${dir}\n`, stderr: 'oops\n' });
  });

  it('gives a command only the env it is given, and closes stdin without input', async () => {
    const r = await execCommand('/bin/sh', ['-c', 'env; cat'], { env: { ONLY: '1' } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('ONLY=') || l.startsWith('HOME='))).toEqual(['ONLY=1']);
  });

  it('reports a command that cannot run as execFile does', async () => {
    const r = await execCommand(join(dir, 'absent'), []);
    expect(r).toMatchObject({ exitCode: undefined, signal: undefined, timedOut: false, error: `spawn ${join(dir, 'absent')} ENOENT` });
    expect((await execCommand('/bin/true', [], { cwd: join(dir, 'absent') })).error).toMatch(/ENOENT/);
  });

  it('kills a command over its timeout with the kill signal', async () => {
    const started = Date.now();
    const r = await execCommand('/bin/sleep', ['30'], { timeoutMs: 300, killSignal: 'SIGKILL' });
    expect(r).toMatchObject({ exitCode: undefined, signal: 'SIGKILL', timedOut: true });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reports a command killed by a signal', async () => {
    const r = await execCommand('/bin/sh', ['-c', 'kill -TERM $$']);
    expect(r).toMatchObject({ exitCode: undefined, signal: 'SIGTERM', timedOut: false, error: undefined });
  });

  it('cuts output over maxBuffer and says so', async () => {
    const r = await execCommand('/bin/sh', ['-c', 'while :; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done'], { maxBuffer: 1000 });
    expect(r.exitCode).toBeUndefined();
    expect(r.error).toBe('stdout maxBuffer length exceeded');
  });

  it('runs commands at the same time', async () => {
    const started = Date.now();
    const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => execCommand('/bin/sh', ['-c', `sleep 0.5; echo ${i}`])));
    expect(rs.map((r) => r.stdout)).toEqual(Array.from({ length: 8 }, (_, i) => `${i}\n`));
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('writes input larger than a pipe buffer and passes any byte', async () => {
    const input = `${'é\0\n'.repeat(100_000)}end`;
    const r = await execCommand('/bin/cat', [], { input });
    expect(r.stdout).toBe(input);
  });

  it('fails what is in flight when the helper dies, and starts again on the next call', async () => {
    const own = (await newSpawnHelper())!;
    const req = { args: [], env: {}, cwd: '/', input: undefined, timeoutMs: 0, killSignal: 'SIGTERM' as const, maxBuffer: 1024 };
    await own.run({ ...req, file: '/bin/true' });
    const pid = (own as unknown as { process: { child: { pid: number } } }).process.child.pid;
    const inFlight = own.run({ ...req, file: '/bin/sleep', args: ['1'] }); // ends by itself once orphaned
    process.kill(pid, 'SIGKILL');
    await expect(inFlight).rejects.toMatchObject({ code: 'EIO', message: expect.stringContaining('spawn helper ended') });
    expect(await own.run({ ...req, file: '/bin/true' })).toMatchObject({ exitCode: 0 });
    own.close();
  });

  it('does not wait for a command that does not read its input', async () => {
    const r = await execCommand('/bin/true', [], { input: 'x'.repeat(1 << 20) });
    expect(r).toMatchObject({ exitCode: 0, error: undefined });
  });
});
