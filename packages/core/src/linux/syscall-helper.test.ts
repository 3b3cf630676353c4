import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { execCommand } from '../util/exec.js';
import { isMountPoint } from '../util/mount.js';
import { MNT_DETACH, newSyscallHelper, type SyscallHelper, syscallHelper } from './syscall-helper.js';

const run = promisify(execFile);
const NSFS_MAGIC = 0x6e736673;
const TMPFS_MAGIC = 0x01021994;

let dir: string;
let helper: SyscallHelper;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'criod-syscall-'));
  const h = await syscallHelper();
  if (!h) throw new Error('the syscall helper should run here (root, perl, x64/arm64)');
  helper = h;
});

afterEach(async () => {
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((l) => l.split(' ')[4] ?? '');
  for (const m of mounts.filter((m) => m.startsWith(dir)).reverse()) await run('umount', ['-l', m]).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

describe('the syscall helper', () => {
  it('mounts a tmpfs with options and unmounts it', async () => {
    await helper.mount('shm', dir, 'tmpfs', 0, 'mode=1777,size=65536');
    expect((await statfs(dir)).type).toBe(TMPFS_MAGIC);
    expect((await statfs(dir)).blocks * (await statfs(dir)).bsize).toBe(65536);
    await helper.unmount(dir, MNT_DETACH);
    expect(await isMountPoint(dir)).toBe(false);
  });

  it('reports the errno and the step of a failed call', async () => {
    await expect(helper.unmount(join(dir, 'absent'))).rejects.toMatchObject({ code: 'ENOENT', step: 'umount' });
    await expect(helper.unmount(dir)).rejects.toMatchObject({ code: 'EINVAL' }); // not a mount point
    await expect(helper.mount('x', join(dir, 'a\nb'), 'tmpfs', 0)).rejects.toMatchObject({ code: 'EINVAL', message: expect.stringContaining('newline') });
  });

  it('pins new namespaces set up from inside: lo up, hostname, sysctls', async () => {
    const net = join(dir, 'net');
    const uts = join(dir, 'uts');
    await Promise.all([writeFile(net, ''), writeFile(uts, '')]);
    await helper.pinNamespaces({
      pins: [
        { kind: 'net', path: net },
        { kind: 'uts', path: uts },
      ],
      loopbackUp: true,
      hostname: 'pinned-host',
      sysctls: [{ path: 'net/ipv4/ip_unprivileged_port_start', value: '80', step: 'sysctl net.ipv4.ip_unprivileged_port_start' }],
    });
    expect((await statfs(net)).type).toBe(NSFS_MAGIC);
    expect((await run('nsenter', [`--uts=${uts}`, 'hostname'])).stdout.trim()).toBe('pinned-host');
    expect((await run('nsenter', [`--net=${net}`, 'cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start'])).stdout.trim()).toBe('80');
    expect((await run('nsenter', [`--net=${net}`, 'ip', '-o', 'link', 'show', 'lo'])).stdout).toMatch(/[<,]UP[,>]/);
  });

  it('names the step that failed and pins nothing', async () => {
    const net = join(dir, 'net');
    await writeFile(net, '');
    await expect(
      helper.pinNamespaces({
        pins: [{ kind: 'net', path: net }],
        loopbackUp: true,
        sysctls: [{ path: 'net/no/such/key', value: '1', step: 'sysctl net.no.such.key' }],
      }),
    ).rejects.toMatchObject({ code: 'ENOENT', step: 'sysctl net.no.such.key' });
    expect((await statfs(net)).type).not.toBe(NSFS_MAGIC);
    await expect(helper.pinNamespaces({ pins: [{ kind: 'net', path: join(dir, 'missing') }], loopbackUp: false, sysctls: [] })).rejects.toMatchObject({
      code: 'ENOENT',
      step: `pin ${join(dir, 'missing')}`,
    });
  });

  it('fails what is in flight when the helper dies, and starts again on the next call', async () => {
    const own = (await newSyscallHelper())!;
    await own.mount('shm', dir, 'tmpfs', 0);
    const pid = (own as unknown as { child: { pid: number } }).child.pid;
    process.kill(pid, 'SIGSTOP'); // so it cannot answer first
    const inFlight = own.pinNamespaces({ pins: [], loopbackUp: false, sysctls: [] });
    process.kill(pid, 'SIGKILL');
    await expect(inFlight).rejects.toMatchObject({ code: 'EIO', step: 'helper' });
    await own.unmount(dir);
    expect(await isMountPoint(dir)).toBe(false);
    own.close();
  });
});

/** The helper's children that have not been reaped yet (zombies included). */
async function helperChildren(h: SyscallHelper): Promise<string> {
  const pid = (h as unknown as { child: { pid: number } }).child.pid;
  return (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim();
}

describe('commands run by the syscall helper', () => {
  it('feeds stdin and gives back stdout, stderr and the exit code, with the env and cwd asked for', async () => {
    const r = await helper.run('/bin/sh', ['-c', 'cat; echo "$FOO"; pwd; echo oops >&2; exit 3'], { input: 'in\nput\n', env: { FOO: 'bar' }, cwd: dir });
    expect(r).toEqual({ exitCode: 3, signal: undefined, timedOut: false, stdout: `in\nput\nbar\n${dir}\n`, stderr: 'oops\n' });
    expect(await helperChildren(helper)).toBe('');
  });

  it('starts a command with no signal blocked or ignored and no fd but its own, as a fresh spawn does', async () => {
    const status = (await helper.run('/bin/cat', ['/proc/self/status'])).stdout;
    expect(status).toMatch(/^SigBlk:\s+0+$/m);
    expect(status).toMatch(/^SigIgn:\s+0+$/m);
    // only stdin, stdout, stderr, and the directory ls itself reads
    expect((await helper.run('/bin/ls', ['/proc/self/fd'])).stdout.split('\n').filter(Boolean)).toEqual(['0', '1', '2', '3']);
  });

  it('carries input and output larger than a pipe holds', async () => {
    const input = 'x'.repeat(300_000);
    expect((await helper.run('/bin/cat', [], { input })).stdout).toBe(input);
  });

  it('kills at the timeout with killSignal and reaps the command', async () => {
    const started = Date.now();
    const r = await helper.run('/bin/sleep', ['30'], { timeoutMs: 200, killSignal: 'SIGKILL' });
    expect(r).toMatchObject({ exitCode: undefined, signal: 'SIGKILL', timedOut: true });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await helperChildren(helper)).toBe('');
  });

  it('kills a command whose output passes maxBuffer and keeps maxBuffer bytes', async () => {
    const r = await helper.run('/bin/sh', ['-c', 'while :; do echo yyyyyyyy; done'], { maxBuffer: 1000 });
    expect(r).toMatchObject({ exitCode: undefined, signal: 'SIGTERM', error: 'stdout maxBuffer length exceeded' });
    expect(r.stdout).toHaveLength(1000);
  });

  it('reports a command that cannot be run with its errno', async () => {
    const r = await helper.run(join(dir, 'absent'), []);
    expect(r).toMatchObject({ exitCode: undefined, error: expect.stringContaining('(ENOENT)') });
    expect((await helper.run('/bin/true', [], { cwd: join(dir, 'absent') })).error).toMatch(/^chdir .*\(ENOENT\)$/);
  });

  it('runs commands side by side and serves mounts meanwhile', async () => {
    const go = join(dir, 'go');
    let settled = 0;
    const waiters = [1, 2, 3, 4].map(() => helper.run('/bin/sh', ['-c', `while [ ! -e ${go} ]; do sleep 0.05; done; echo done`]).finally(() => settled++));
    const mountPoint = join(dir, 'm');
    await mkdir(mountPoint);
    await helper.mount('shm', mountPoint, 'tmpfs', 0);
    await helper.unmount(mountPoint);
    expect(settled).toBe(0);
    await writeFile(go, '');
    expect((await Promise.all(waiters)).map((r) => r.stdout)).toEqual(['done\n', 'done\n', 'done\n', 'done\n']);
  });

  it('is what execCommand uses, which spawns what the protocol cannot carry itself', async () => {
    expect(helper.canRun('/bin/echo', ['a b'])).toBe(true);
    expect(helper.canRun('/bin/echo', ['a\nb'])).toBe(false);
    expect(helper.canRun('/bin/true', [], { env: { X: 'a\nb' } })).toBe(false);
    expect(await execCommand('/bin/echo', ['a\nb'])).toMatchObject({ exitCode: 0, stdout: 'a\nb\n' });
    const viaHelper = await execCommand('/bin/sh', ['-c', 'echo $PPID']);
    expect(Number(viaHelper.stdout)).toBe((helper as unknown as { child: { pid: number } }).child.pid);
  });
});

describe('daemons started by the syscall helper', () => {
  const options = () => ({ cwd: dir, env: { PATH: '/usr/bin:/bin' }, timeoutMs: 20_000 });

  it('answers the first line on fd 3 of a daemon in its own session, its first process reaped', async () => {
    // Like conmon: the first process forks the one that reports, and exits.
    const script = 'read -r _ _ _ _ _ sid _ < /proc/$$/stat; (sleep 0.2; echo "{\\"data\\": $sid}" >&3; sleep 0.2) & echo forked >&2; exit 0';
    const started = await helper.startDaemon('/bin/sh', ['-c', script], options());
    expect(started).toMatchObject({ firstLine: `{"data": ${started.pid}}`, timedOut: false, stderr: 'forked\n' });
    await vi.waitFor(async () => expect(await helperChildren(helper)).toBe(''), { timeout: 5000 });
  });

  it('answers how the first process exited and its stderr when fd 3 closes without a line', async () => {
    const started = await helper.startDaemon('/bin/sh', ['-c', 'echo "bad flag" >&2; exit 3'], options());
    expect(started).toEqual({ pid: started.pid, exitCode: 3, stderr: 'bad flag\n', timedOut: false });
    expect(await helperChildren(helper)).toBe('');
  });

  it('gives stdin and stdout /dev/null and passes no other fd than 3', async () => {
    // Lists its fds but the one of the listing itself, then where 0 and 1 lead.
    const lister = [
      'opendir(my $d, "/proc/self/fd") or die;',
      'my @fds = sort grep { /^\\d+$/ && readlink("/proc/self/fd/$_") !~ m{^/proc/\\d+/fd$} } readdir($d);',
      'open(my $sync, ">&=", 3) or die;',
      'print $sync join(" ", @fds, readlink("/proc/self/fd/0"), readlink("/proc/self/fd/1")), "\\n";',
    ].join(' ');
    const started = await helper.startDaemon('/usr/bin/perl', ['-e', lister], options());
    expect(started.firstLine).toBe('0 1 2 3 /dev/null /dev/null');
  });

  it('kills the first process at the timeout and answers with what came', async () => {
    const started = await helper.startDaemon('/bin/sh', ['-c', 'echo waiting >&2; exec sleep 30'], { ...options(), timeoutMs: 300 });
    expect(started).toMatchObject({ timedOut: true, stderr: 'waiting\n' });
    expect(started.firstLine).toBeUndefined();
    await vi.waitFor(async () => expect(await helperChildren(helper)).toBe(''), { timeout: 5000 });
  });

  it('reports a daemon that cannot be run with its errno', async () => {
    await expect(helper.startDaemon(join(dir, 'absent'), [], options())).rejects.toMatchObject({ code: 'ENOENT', step: 'exec' });
  });
});
