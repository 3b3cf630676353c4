import { randomInt } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeadlineExceededError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@criod/core';
import { eventually, makeEnv, processesMentioning, processesWithArgs, sleep, zombies, type TestEnv } from './fixtures.js';

let env: TestEnv;
let id: string;
beforeEach(async () => {
  env = await makeEnv();
  id = env.uniqueId('exec');
  await env.runtime.createContainer(env.request(id, { args: ['sleep', '600'] }));
  await env.runtime.startContainer(id);
});
afterEach(async () => {
  await env?.cleanup();
});

describe('execSync', () => {
  it('returns stdout, stderr and the exit code of the command', async () => {
    const result = await env.runtime.execSync(id, ['sh', '-c', 'echo out; echo err >&2; hostname; exit 5'], 10);
    expect(result.stdout.toString()).toBe(`out\n${id.slice(0, 63)}\n`);
    expect(result.stderr.toString()).toBe('err\n');
    expect(result.exitCode).toBe(5);
  });

  it('passes binary output through untouched', async () => {
    const result = await env.runtime.execSync(id, ['head', '-c', '300000', '/dev/urandom'], 10);
    expect(result.stdout.length).toBe(300000);
    expect(result.exitCode).toBe(0);
  });

  it('keeps at most 8 MiB of each stream, says so, and still waits for the exit code', async () => {
    const result = await env.runtime.execSync(id, ['sh', '-c', 'head -c 20000000 /dev/zero; head -c 100 /dev/zero >&2; exit 3'], 30);
    const note = '\n[criod: output truncated at 8388608 bytes]\n';
    expect(result.stdout.length).toBe(8 * 1024 * 1024 + note.length);
    expect(result.stdout.subarray(8 * 1024 * 1024).toString()).toBe(note);
    expect(result.stderr.length).toBe(100);
    expect(result.exitCode).toBe(3);
  });

  it('kills the command at the timeout and leaves no zombie or process behind', async () => {
    // A unique argument finds this very sleep on the host afterwards.
    const argv = ['sleep', `60.${randomInt(1e6, 1e7)}`];
    const before = new Set(processesMentioning(id));
    const started = Date.now();
    const exec = env.runtime.execSync(id, argv, 1).catch((e: unknown) => e);
    // This exec's own processes, seen while it runs: its sleep and whatever runs it naming the
    // container (conmon, runc exec). Only they are checked: zombies of other tests do not count.
    const ours = new Set<number>();
    expect(
      await eventually(() => {
        for (const pid of [...processesWithArgs(argv), ...processesMentioning(id).filter((p) => !before.has(p))]) ours.add(pid);
        return processesWithArgs(argv).length > 0;
      }),
    ).toBe(true);
    const err = await exec;
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(DeadlineExceededError);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(5000);
    expect(processesWithArgs(argv)).toEqual([]);
    // This VM's PID 1 reaps orphans about 2 s late: one the exec path orphaned would still be a zombie here.
    await sleep(300);
    const zombie = zombies();
    expect([...ours].filter((pid) => zombie.has(pid))).toEqual([]);
    // The container itself is untouched.
    expect((await env.runtime.containerState(id)).status).toBe('running');
  });

  it('kills the children of the command too', async () => {
    const marker = `61.${randomInt(1e6, 1e7)}`;
    const err = await env.runtime.execSync(id, ['sh', '-c', `sleep ${marker} & sleep ${marker}; echo never`], 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlineExceededError);
    expect(processesWithArgs(['sleep', marker])).toEqual([]);
  });

  it('waits without limit for timeout 0', async () => {
    const result = await env.runtime.execSync(id, ['sh', '-c', 'sleep 1.2; echo done'], 0);
    expect(result).toMatchObject({ exitCode: 0 });
    expect(result.stdout.toString()).toBe('done\n');
  });

  it('answers exit code 126 for a command that cannot start, and errors for a stopped or unknown container and an empty command', async () => {
    for (const cmd of ['/no/such/tool', 'no-such-tool', '/etc/hostname']) {
      const cannotStart = await env.runtime.execSync(id, [cmd], 5);
      expect(cannotStart.exitCode, cmd).toBe(126);
      expect(cannotStart.stderr.toString()).toMatch(/no such file or directory|executable file not found|permission denied/);
    }
    await expect(env.runtime.execSync(id, [], 5)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(env.runtime.execSync('nope', ['true'], 5)).rejects.toBeInstanceOf(NotFoundError);
    await env.runtime.stopContainer(id, 0, '');
    await expect(env.runtime.execSync(id, ['true'], 5)).rejects.toBeInstanceOf(FailedPreconditionError);
  });

  it('runs execs in parallel', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => env.runtime.execSync(id, ['echo', String(i)], 10)));
    expect(results.map((r) => r.stdout.toString())).toEqual(Array.from({ length: 8 }, (_, i) => `${i}\n`));
  });
});
