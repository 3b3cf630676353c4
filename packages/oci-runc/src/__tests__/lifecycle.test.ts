import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@criod/core';
import { cgroupDirs, conmonPidsOf, eventually, makeEnv, runcList, type TestEnv } from './fixtures.js';

let env: TestEnv;
beforeEach(async () => {
  env = await makeEnv();
});
afterEach(async () => {
  await env?.cleanup();
});

/** Create and start a container running `args`. */
async function run(prefix: string, args: string[], memoryLimit?: number): Promise<string> {
  const id = env.uniqueId(prefix);
  await env.runtime.createContainer(env.request(id, { args, memoryLimit }));
  await env.runtime.startContainer(id);
  return id;
}

async function waitStopped(id: string, timeoutMs = 10_000) {
  expect(await eventually(async () => (await env.runtime.containerState(id)).status === 'stopped', timeoutMs)).toBe(true);
  return env.runtime.containerState(id);
}

const criLogLine = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(?:Z|[+-]\d\d:\d\d)) (stdout|stderr) (F|P) (.*)$/;

describe('create and start', () => {
  it('runs a container whose output lands in the CRI log and exits 0 with a finish time', async () => {
    const before = BigInt(Date.now()) * 1_000_000n;
    const id = env.uniqueId('log');
    const created = await env.runtime.createContainer(env.request(id, { args: ['sh', '-c', 'echo to-out; echo to-err >&2'] }));
    expect(created).toMatchObject({ status: 'created' });
    expect(created.pid).toBeGreaterThan(1);
    expect(await env.runtime.containerState(id)).toEqual({ status: 'created', pid: created.pid, pidNamespacePath: `/proc/${created.pid}/ns/pid` });

    await env.runtime.startContainer(id);
    const state = await waitStopped(id);
    expect(state).toMatchObject({ status: 'stopped', pid: 0, exitCode: 0, oomKilled: false });
    expect(state.finishedAt).toBeGreaterThan(before);
    expect(state.finishedAt).toBeLessThanOrEqual(BigInt(Date.now()) * 1_000_000n);

    const lines = readFileSync(env.logPath(id), 'utf8').trimEnd().split('\n');
    const parsed = lines.map((l) => criLogLine.exec(l));
    expect(parsed.every(Boolean)).toBe(true);
    expect(parsed.map((m) => `${m?.[2]} ${m?.[3]} ${m?.[4]}`).sort()).toEqual(['stderr F to-err', 'stdout F to-out']);
    expect(Number.isNaN(Date.parse(parsed[0]?.[1] ?? ''))).toBe(false);
  });

  it('reports a non-zero exit code', async () => {
    const id = await run('exit3', ['sh', '-c', 'exit 3']);
    expect(await waitStopped(id)).toMatchObject({ status: 'stopped', exitCode: 3 });
  });

  it("puts the container's cgroup under the request's cgroup parent, which the spec left to the runtime", async () => {
    const id = await run('cgroup', ['sleep', '60']);
    const { pid } = await env.runtime.containerState(id);
    const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
    // The memory controller's line on cgroup v1, the unified one on v2.
    const memory = lines.find((l) => l.split(':')[1]?.split(',').includes('memory')) ?? lines.find((l) => l.startsWith('0::'));
    expect(memory?.endsWith(`:${env.cgroupOf(id)}`)).toBe(true);
    const config = JSON.parse(readFileSync(join(env.runroot, 'containers', id, 'config.json'), 'utf8')) as { linux: { cgroupsPath: string } };
    expect(config.linux.cgroupsPath).toBe(env.cgroupOf(id));
  });

  it('reports running with the init pid while the process lives', async () => {
    const id = await run('running', ['sleep', '60']);
    const state = await env.runtime.containerState(id);
    expect(state.status).toBe('running');
    expect(readFileSync(`/proc/${state.pid}/cmdline`, 'utf8')).toBe('sleep\x0060\x00');
    // Started through runc's exec fifo: runc itself must see it running too.
    const runcState = JSON.parse(execFileSync('runc', [`--root=${env.runcRoot}`, 'state', id], { encoding: 'utf8' })) as { status: string };
    expect(runcState.status).toBe('running');
  });

  it('marks a container killed by the OOM killer', async () => {
    const id = await run('oom', ['tail', '/dev/zero'], 16 * 1024 * 1024);
    const state = await waitStopped(id, 30_000);
    expect(state).toMatchObject({ status: 'stopped', exitCode: 137, oomKilled: true });
  });

  it('refuses a second container with the same id and an unknown handler', async () => {
    const id = env.uniqueId('dup');
    await env.runtime.createContainer(env.request(id, { args: ['sleep', '60'] }));
    await expect(env.runtime.createContainer(env.request(id, { args: ['sleep', '60'] }))).rejects.toBeInstanceOf(AlreadyExistsError);
    const other = env.uniqueId('kata');
    const err = await env.runtime.createContainer({ ...env.request(other, { args: ['true'] }), handler: 'kata' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toContain('"kata"');
    expect(existsSync(join(env.runroot, 'containers', other))).toBe(false);
  });

  it("undoes a failed create and reports runc's message", async () => {
    const id = env.uniqueId('bad');
    const err = await env.runtime.createContainer(env.request(id, { args: ['/no/such/binary'] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/no such file or directory/);
    expect(existsSync(join(env.runroot, 'containers', id))).toBe(false);
    expect(runcList(env.runcRoot)).toEqual([]);
    expect(conmonPidsOf(id)).toEqual([]);
    expect(cgroupDirs(env.cgroupOf(id))).toEqual([]);
  });

  it('refuses to start a running container and names unknown ids', async () => {
    const id = await run('twice', ['sleep', '60']);
    await expect(env.runtime.startContainer(id)).rejects.toBeInstanceOf(FailedPreconditionError);
    await expect(env.runtime.startContainer('nope')).rejects.toBeInstanceOf(NotFoundError);
    await expect(env.runtime.containerState('nope')).rejects.toBeInstanceOf(NotFoundError);
    await expect(env.runtime.containerState('../etc')).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('creates and starts 20 containers in parallel', async () => {
    const ids = Array.from({ length: 20 }, () => env.uniqueId('par'));
    await Promise.all(ids.map((id) => env.runtime.createContainer(env.request(id, { args: ['sleep', '60'] })).then(() => env.runtime.startContainer(id))));
    const states = await Promise.all(ids.map((id) => env.runtime.containerState(id)));
    expect(states.every((s) => s.status === 'running' && s.pid > 1)).toBe(true);
    expect(new Set(states.map((s) => s.pid)).size).toBe(20);
    expect((await env.runtime.listContainers()).sort()).toEqual([...ids].sort());
    await Promise.all(ids.map((id) => env.runtime.deleteContainer(id)));
    expect(runcList(env.runcRoot)).toEqual([]);
  });
});

describe('stop', () => {
  it('kills a container that ignores SIGTERM once the timeout has passed', async () => {
    const id = await run('trap', ['sh', '-c', 'trap "" TERM; while :; do sleep 0.1; done']);
    const started = Date.now();
    await env.runtime.stopContainer(id, 2, 'SIGTERM');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(await env.runtime.containerState(id)).toMatchObject({ status: 'stopped', exitCode: 137 });
  });

  it('returns as soon as the container exits on its stop signal', async () => {
    const id = await run('graceful', ['sh', '-c', 'trap "exit 7" USR1; echo trapped; while :; do sleep 0.1; done']);
    // A PID namespace's init drops signals it has no handler for: wait until the trap is set.
    expect(await eventually(() => readFileSync(env.logPath(id), 'utf8').includes('trapped'), 5000)).toBe(true);
    const started = Date.now();
    await env.runtime.stopContainer(id, 10, 'USR1');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await env.runtime.containerState(id)).toMatchObject({ status: 'stopped', exitCode: 7 });
  });

  it('kills at once with timeout 0', async () => {
    const id = await run('now', ['sleep', '60']);
    const started = Date.now();
    await env.runtime.stopContainer(id, 0, '');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await env.runtime.containerState(id)).toMatchObject({ status: 'stopped', exitCode: 137 });
  });

  it('stops twice and stops unknown containers without error', async () => {
    const id = await run('stop2', ['sleep', '60']);
    await env.runtime.stopContainer(id, 0, 'SIGKILL');
    await env.runtime.stopContainer(id, 0, 'SIGKILL');
    await env.runtime.stopContainer('never-created', 10, 'SIGTERM');
    expect((await env.runtime.containerState(id)).status).toBe('stopped');
  });

  it('stops a created container that never started', async () => {
    const id = env.uniqueId('created');
    await env.runtime.createContainer(env.request(id, { args: ['sleep', '60'] }));
    await env.runtime.stopContainer(id, 1, 'SIGTERM');
    expect((await env.runtime.containerState(id)).status).toBe('stopped');
  });

  it('refuses an unknown stop signal', async () => {
    const id = await run('badsig', ['sleep', '60']);
    await expect(env.runtime.stopContainer(id, 1, 'SIGNOPE')).rejects.toBeInstanceOf(InvalidArgumentError);
    expect((await env.runtime.containerState(id)).status).toBe('running');
  });
});

describe('delete', () => {
  it('leaves no runc state, conmon, cgroup or bundle behind, and deletes twice', async () => {
    const id = await run('del', ['sleep', '60']);
    const conmons = conmonPidsOf(id);
    expect(conmons).toHaveLength(1);
    expect(cgroupDirs(env.cgroupOf(id)).length).toBeGreaterThan(0);

    await env.runtime.deleteContainer(id);
    expect(runcList(env.runcRoot)).toEqual([]);
    expect(conmons.every((pid) => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '))).toBe(true);
    expect(conmonPidsOf(id)).toEqual([]);
    expect(cgroupDirs(env.cgroupOf(id))).toEqual([]);
    expect(existsSync(join(env.runroot, 'containers', id))).toBe(false);
    expect(existsSync(join(env.runroot, 'exits', id))).toBe(false);
    await expect(env.runtime.containerState(id)).rejects.toBeInstanceOf(NotFoundError);

    await env.runtime.deleteContainer(id);
    await env.runtime.deleteContainer('never-created');
  });
});

describe('restart', () => {
  it('finds a running container from a new runtime instance and stops it', async () => {
    const id = await run('survive', ['sleep', '60']);
    // conmon is detached from criod: not our child, in a session of its own, so it outlives us.
    const [conmon] = conmonPidsOf(id);
    const stat = readFileSync(`/proc/${conmon}/stat`, 'utf8');
    const [ppid, , sid] = stat
      .slice(stat.lastIndexOf(')') + 4)
      .split(' ')
      .map(Number);
    expect(ppid).not.toBe(process.pid);
    expect(sid).toBe(conmon);
    await env.runtime.close();
    const restarted = await env.newRuntime();
    try {
      expect(await restarted.containerState(id)).toMatchObject({ status: 'running' });
      expect(await restarted.listContainers()).toEqual([id]);
      await restarted.stopContainer(id, 0, '');
      expect(await restarted.containerState(id)).toMatchObject({ status: 'stopped', exitCode: 137 });
      await restarted.deleteContainer(id);
    } finally {
      await restarted.close();
    }
  });
});
