import { mkdtempSync, rmSync, writeFileSync, type FSWatcher } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FailedPreconditionError, InternalError, InvalidArgumentError, NotFoundError } from '@criod/core';
import { cgroupsPath } from './cgroup-path.js';
import { parseCgroupMounts, parseFlatKeyed, parseProcCgroups, unifiedDir, v1ControllerDir } from './cgroups.js';
import { ExitWatcher } from './exit-watcher.js';
import { assertContainerId, RuntimeLayout } from './layout.js';
import { runcError, runcErrorMessage } from './runc.js';
import { parseSignal } from './signals.js';
import { parseSyncMessage } from './sync-pipe.js';

describe('parseSignal', () => {
  it('reads names with and without SIG, numbers and real-time signals', () => {
    expect(parseSignal('')).toBe(15);
    expect(parseSignal('SIGTERM')).toBe(15);
    expect(parseSignal('kill')).toBe(9);
    expect(parseSignal('SIGQUIT')).toBe(3);
    expect(parseSignal('10')).toBe(10);
    expect(parseSignal('SIGRTMIN+3')).toBe(37);
    expect(parseSignal('RTMAX-1')).toBe(63);
  });

  it('refuses what is no signal', () => {
    for (const bad of ['SIGNOPE', '0', '65', 'SIGRTMIN+31', '-9']) expect(() => parseSignal(bad)).toThrow(InvalidArgumentError);
  });
});

describe('runc errors', () => {
  it("takes the message out of runc's JSON log lines", () => {
    const stderr = '{"level":"warning","msg":"ignored","time":"t"}\n{"level":"error","msg":"container does not exist","time":"t"}\n';
    expect(runcErrorMessage(stderr)).toBe('container does not exist');
    expect(runcErrorMessage('panic: boom\n')).toBe('panic: boom');
  });

  it('maps messages to typed errors', () => {
    expect(runcError('state x', 'container does not exist')).toBeInstanceOf(NotFoundError);
    expect(runcError('start x', 'cannot start an already running container')).toBeInstanceOf(FailedPreconditionError);
    expect(runcError('exec x', 'cannot exec in a stopped container')).toBeInstanceOf(FailedPreconditionError);
    const other = runcError('create x', 'mount failed');
    expect(other).toBeInstanceOf(InternalError);
    expect(other.message).toBe('create x: mount failed');
  });
});

describe('parseSyncMessage', () => {
  it('reads API version 1 and legacy messages', () => {
    expect(parseSyncMessage('{"data": 42}')).toEqual({ data: 42 });
    expect(parseSyncMessage('{"data": -1, "message": "bad"}')).toEqual({ data: -1, message: 'bad' });
    expect(parseSyncMessage('{"pid": 7}')).toEqual({ data: 7 });
    expect(parseSyncMessage('garbage')).toMatchObject({ data: -1, message: expect.stringContaining('garbage') as string });
  });
});

describe('container ids and layout', () => {
  it('accepts runc ids and refuses paths', () => {
    expect(() => assertContainerId('a'.repeat(64))).not.toThrow();
    for (const bad of ['', '../x', 'a/b', '.hidden', 'a b', 'x'.repeat(129)]) expect(() => assertContainerId(bad)).toThrow(InvalidArgumentError);
  });

  it('puts bundles and exit files under the runroot', () => {
    const files = new RuntimeLayout('/run/criod').container('abc');
    expect(files.bundle).toBe('/run/criod/containers/abc');
    expect(files.config).toBe('/run/criod/containers/abc/config.json');
    expect(files.exitFile).toBe('/run/criod/exits/abc');
    expect(files.attach).toBe('/run/criod/containers/abc/attach');
  });
});

describe('cgroups', () => {
  const mountinfo = [
    '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct',
    '33 31 0:30 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
    '40 31 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  ].join('\n');
  const procCgroups = parseProcCgroups('12:memory:/pod/c1\n11:cpu,cpuacct:/pod/c1\n0::/pod/c1\n');

  it('finds v1 controller dirs through combined hierarchies', () => {
    const mounts = parseCgroupMounts(mountinfo);
    expect(v1ControllerDir(mounts, procCgroups, 'cpuacct')).toBe('/sys/fs/cgroup/cpu,cpuacct/pod/c1');
    expect(v1ControllerDir(mounts, procCgroups, 'memory')).toBe('/sys/fs/cgroup/memory/pod/c1');
    // A unified mount beside v1 ones (hybrid) is not where the controllers are.
    expect(unifiedDir(mounts, procCgroups)).toBeUndefined();
  });

  it('finds the unified dir when /sys/fs/cgroup is cgroup2', () => {
    const mounts = parseCgroupMounts('30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate');
    expect(unifiedDir(mounts, parseProcCgroups('0::/kubepods/c2\n'))).toBe('/sys/fs/cgroup/kubepods/c2');
  });

  it("names the container's cgroup under the pod's parent in the form of each driver", () => {
    expect(cgroupsPath('cgroupfs', '/kubepods/burstable/pod1', 'c1')).toBe('/kubepods/burstable/pod1/criod-c1');
    expect(cgroupsPath('cgroupfs', '', 'c1')).toBe('/criod/criod-c1');
    expect(cgroupsPath('systemd', 'kubepods-burstable-pod1.slice', 'c1')).toBe('kubepods-burstable-pod1.slice:criod:c1');
    expect(cgroupsPath('systemd', '', 'c1')).toBe('system.slice:criod:c1');
  });

  it('parses flat keyed files', () => {
    expect(parseFlatKeyed('oom_kill_disable 0\nunder_oom 0\noom_kill 2\n').get('oom_kill')).toBe(2);
  });
});

describe('ExitWatcher', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'criod-exits-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('wakes as soon as the exit file appears', async () => {
    const watcher = new ExitWatcher(dir);
    const waiting = watcher.wait('c1', 5000);
    const started = Date.now();
    setTimeout(() => writeFileSync(join(dir, 'c1'), '143'), 50);
    const exit = await waiting;
    expect(exit?.exitCode).toBe(143);
    expect(Date.now() - started).toBeLessThan(400);
    expect(exit?.finishedAt).toBeGreaterThan(0n);
    watcher.close();
  });

  it('gives up after the timeout and ignores other containers', async () => {
    const watcher = new ExitWatcher(dir);
    writeFileSync(join(dir, 'other'), '0');
    expect(await watcher.wait('c2', 100)).toBeUndefined();
    expect(await watcher.read('other')).toMatchObject({ exitCode: 0 });
  });

  it('announces exits to listeners, and after its watch failed watches again and announces every exit file', async () => {
    const watcher = new ExitWatcher(dir);
    const heard: string[] = [];
    watcher.onExit((id) => heard.push(id));
    writeFileSync(join(dir, 'c1'), '0');
    await vi.waitFor(() => expect(heard).toContain('c1'));
    heard.length = 0;
    // The inotify watch fails (queue overflow, dir moved): nothing but the FSWatcher's error event says so.
    (watcher as unknown as { watcher: FSWatcher }).watcher.emit('error', new Error('watch failed'));
    await vi.waitFor(() => expect(heard).toContain('c1'));
    writeFileSync(join(dir, 'c2'), '0');
    await vi.waitFor(() => expect(heard).toContain('c2'));
    watcher.close();
  });
});
