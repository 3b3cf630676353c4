/**
 * Against real namespaces: needs root, util-linux (unshare, nsenter, mount, umount) and iproute2.
 * Every test works in its own mkdtemp dir (never the real /var/run/netns); afterEach unmounts
 * whatever is mounted under it and removes it, whatever the test's outcome.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NSFS_MAGIC,
  parseMountinfo,
  silentLogger,
  type NamespaceKind,
  type NamespacePlugin,
  type PinnedNamespace,
} from '@criod/core';
import { afterEach, describe, expect, it } from 'vitest';
import plugin, { NetnsNamespaces, configSchema, instanceIdFile, loadInstanceId, pinName, plugin as named } from './index.js';

const isRoot = process.getuid?.() === 0;
const hasTools = (() => {
  try {
    execFileSync('unshare', ['--version'], { stdio: 'ignore' });
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const tempDirs: string[] = [];
const children: ChildProcess[] = [];

function mountsUnder(dir: string) {
  return parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8')).filter((m) => m.mountPoint === dir || m.mountPoint.startsWith(`${dir}/`));
}

function nsMountsUnder(dir: string) {
  return mountsUnder(dir).filter((m) => m.fstype === 'nsfs');
}

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const dir of tempDirs.splice(0)) {
    // Deepest first; lazy so a busy mount never blocks cleanup. Repeat for stacked mounts.
    for (let round = 0; round < 5; round++) {
      const mounts = mountsUnder(dir).sort((a, b) => b.mountPoint.length - a.mountPoint.length);
      if (mounts.length === 0) break;
      for (const m of mounts) {
        try {
          execFileSync('umount', ['-l', m.mountPoint], { stdio: 'ignore' });
        } catch {
          // already gone with its parent
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

function tempDir(): string {
  const dir = mkdtempSync('/tmp/criod-netns-test-');
  tempDirs.push(dir);
  return dir;
}

interface Setup {
  dir: string;
  netnsDir: string;
  pinDir: string;
  ns: NamespacePlugin;
  /** The pin name of a pod id for this plugin instance. */
  name(podId: string): string;
}

async function makeSetup(config: Record<string, unknown> = {}, dir = tempDir(), root = join(dir, 'root')): Promise<Setup> {
  const netnsDir = join(dir, 'netns');
  const pinDir = join(dir, 'pins');
  const ns = await plugin.create({
    config: configSchema.parse({ netns_dir: netnsDir, pin_dir: pinDir, ...config }),
    root,
    runroot: join(dir, 'run'),
    logger: silentLogger,
    get() {
      throw new Error('net-netns requires no other plugin');
    },
  });
  return { dir, netnsDir, pinDir, ns, name: (id) => pinName((ns as NetnsNamespaces).instanceId, id) };
}

const podId = () => randomBytes(32).toString('hex');

function inNs(flag: string, path: string, cmd: string[]): string {
  return execFileSync('nsenter', [`${flag}=${path}`, ...cmd], { encoding: 'utf8' }).trim();
}

const pathOf = (pinned: PinnedNamespace[], kind: NamespaceKind) => pinned.find((p) => p.kind === kind)?.path ?? '';

describe('config', () => {
  it('parses {} to the defaults and is strict', () => {
    expect(configSchema.parse({})).toEqual({ netns_dir: '/var/run/netns', pin_dir: '', timeout_ms: 10_000, syscall_helper: true });
    expect(() => configSchema.parse({ nope: 1 })).toThrow();
    expect(() => configSchema.parse({ netns_dir: 'relative' })).toThrow();
    expect(named).toBe(plugin);
    expect(plugin).toMatchObject({ kind: 'namespace', name: '@criod/net-netns', configSection: 'namespace' });
  });

  it('resolves an empty pin_dir to <runroot>/ns and reports its dirs', async () => {
    const ns = await plugin.create({
      config: configSchema.parse({}),
      root: join(tempDir(), 'root'),
      runroot: '/run/criod',
      logger: silentLogger,
      get() {
        throw new Error('unused');
      },
    });
    expect(await ns.info?.()).toMatchObject({ method: 'syscall-helper', netnsDir: '/var/run/netns', pinDir: '/run/criod/ns' });
  });

  it('names pins after the instance and the pod id', () => {
    expect(pinName('0123abcd', 'ab'.repeat(32))).toBe(`criod-0123abcd-${'ab'.repeat(16)}`);
    expect(() => pinName('0123abcd', '../x')).toThrow(InvalidArgumentError);
    expect(() => pinName('../x', 'ab'.repeat(32))).toThrow(InvalidArgumentError);
  });

  it('keeps its instance id in its root, made once', async () => {
    const root = join(tempDir(), 'root');
    const id = await loadInstanceId(root);
    expect(id).toMatch(/^[0-9a-f]{8}$/);
    expect(readFileSync(instanceIdFile(root), 'utf8')).toBe(`${id}\n`);
    expect(await loadInstanceId(root)).toBe(id);
    writeFileSync(instanceIdFile(root), 'not-an-id\n');
    await expect(loadInstanceId(root)).rejects.toThrow(`${instanceIdFile(root)} holds "not-an-id"`);
  });
});

// Both ways of making namespaces: the resident syscall helper, and the util-linux spawns it replaces.
describe.skipIf(!isRoot || !hasTools).each([true, false])('pinned namespaces (root, syscall_helper %s)', (syscallHelper) => {
  const setup = (config: Record<string, unknown> = {}, dir?: string, root?: string) => makeSetup({ syscall_helper: syscallHelper, ...config }, dir, root);
  it('creates net+ipc+uts, set up inside, and releases them', async () => {
    const { netnsDir, pinDir, ns, name: nameOf } = await setup();
    const id = podId();
    const hostPortStart = readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim();
    const hostShmmni = readFileSync('/proc/sys/kernel/shmmni', 'utf8').trim();
    const pinned = await ns.create(id, ['net', 'ipc', 'uts'], {
      hostname: 'pod-host-1',
      sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0', 'kernel.shmmni': '1234' },
    });
    const name = nameOf(id);
    expect(name).toMatch(new RegExp(`^criod-[0-9a-f]{8}-${id.slice(0, 32)}$`));
    expect(pinned).toEqual([
      { kind: 'net', path: join(netnsDir, name) },
      { kind: 'ipc', path: join(pinDir, 'ipc', name) },
      { kind: 'uts', path: join(pinDir, 'uts', name) },
    ]);
    for (const p of pinned) {
      expect(await ns.state(p)).toBe('open');
      expect(statfsSync(p.path).type).toBe(NSFS_MAGIC);
    }
    const net = pathOf(pinned, 'net');
    expect(inNs('--net', net, ['ip', '-o', 'link', 'show', 'lo'])).toMatch(/<[^>]*\bUP\b[^>]*>/);
    expect(inNs('--net', net, ['cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start'])).toBe('0');
    expect(inNs('--ipc', pathOf(pinned, 'ipc'), ['cat', '/proc/sys/kernel/shmmni'])).toBe('1234');
    expect(inNs('--uts', pathOf(pinned, 'uts'), ['hostname'])).toBe('pod-host-1');
    // The host is untouched.
    expect(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim()).toBe(hostPortStart);
    expect(readFileSync('/proc/sys/kernel/shmmni', 'utf8').trim()).toBe(hostShmmni);
    expect(execFileSync('hostname', { encoding: 'utf8' }).trim()).not.toBe('pod-host-1');

    expect(await ns.list()).toEqual([...pinned].sort((a, b) => a.path.localeCompare(b.path)));

    for (const p of pinned) {
      await ns.release(p);
      await ns.release(p); // twice: not an error
      expect(await ns.state(p)).toBe('closed');
      expect(existsSync(p.path)).toBe(false);
    }
    expect(await ns.list()).toEqual([]);
    expect(nsMountsUnder(netnsDir)).toEqual([]);
    expect(nsMountsUnder(pinDir)).toEqual([]);
  });

  it('makes the pin dirs shared mount points once, as iproute2 does', async () => {
    const { dir, netnsDir, pinDir, ns } = await setup();
    await ns.create(podId(), ['net', 'ipc'], {});
    await ns.create(podId(), ['net', 'uts'], {});
    // A second instance over the same dirs does not stack another bind mount.
    const again = await plugin.create({
      config: configSchema.parse({ netns_dir: netnsDir, pin_dir: pinDir }),
      root: dir,
      runroot: dir,
      logger: silentLogger,
      get() {
        throw new Error('unused');
      },
    });
    await again.create(podId(), ['net', 'ipc', 'uts'], {});
    for (const d of [netnsDir, pinDir]) {
      const at = mountsUnder(dir).filter((m) => m.mountPoint === d);
      expect(at, d).toHaveLength(1);
      expect(at[0]?.optional.some((f) => f.startsWith('shared:'))).toBe(true);
    }
    expect(nsMountsUnder(dir)).toHaveLength(7);
    for (const n of [ns, again]) for (const p of await n.list()) await n.release(p);
    expect(nsMountsUnder(dir)).toEqual([]);
  });

  it('propagates pins and their removal into mount namespaces made earlier', async () => {
    const { netnsDir, ns } = await setup();
    // Make the dir shared first (as at daemon start), then a slave mount ns, as a container gets.
    const first = await ns.create(podId(), ['net'], {});
    const child = spawn('unshare', ['--mount', '--propagation', 'slave', 'sleep', '60'], { stdio: 'ignore' });
    children.push(child);
    const mntOf = () => `/proc/${child.pid}/ns/mnt`;
    // Wait until the child is in its own mount namespace.
    for (let i = 0; i < 100; i++) {
      const self = execFileSync('readlink', ['/proc/self/ns/mnt'], { encoding: 'utf8' }).trim();
      const its = execFileSync('readlink', [mntOf()], { encoding: 'utf8' }).trim();
      if (its !== self && execFileSync('cat', [`/proc/${child.pid}/comm`], { encoding: 'utf8' }).trim() === 'sleep') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const [later] = await ns.create(podId(), ['net'], {});
    const path = later?.path ?? '';
    expect(path.startsWith(netnsDir)).toBe(true);
    expect(inNs('--mount', mntOf(), ['stat', '-f', '-c', '%T', path])).toBe('nsfs');
    // Joinable by path from there, as runc does.
    expect(execFileSync('nsenter', [`--mount=${mntOf()}`, '--', 'nsenter', `--net=${path}`, 'ip', '-o', 'link', 'show', 'lo'], { encoding: 'utf8' })).toMatch(
      /UP/,
    );
    await ns.release(later as PinnedNamespace);
    expect(inNs('--mount', mntOf(), ['sh', '-c', `test -e ${path} && stat -f -c %T ${path} || echo gone`])).toBe('gone');
    await ns.release(first[0] as PinnedNamespace);
  });

  it('creates only the requested kinds and skips the hostname without a uts namespace', async () => {
    const { netnsDir, pinDir, ns } = await setup();
    const pinned = await ns.create(podId(), ['net', 'net'], { hostname: 'ignored-host' });
    expect(pinned.map((p) => p.kind)).toEqual(['net']);
    expect(pinned[0]?.path.startsWith(`${netnsDir}/criod-`)).toBe(true);
    expect(existsSync(join(pinDir, 'uts'))).toBe(false);
    expect(execFileSync('hostname', { encoding: 'utf8' }).trim()).not.toBe('ignored-host');
    expect(await ns.create(podId(), [], {})).toEqual([]);
    await expect(ns.create(podId(), ['pid' as NamespaceKind], {})).rejects.toThrow(InvalidArgumentError);
  });

  it('answers closed for a missing pin or a plain file, and throws for the wrong type', async () => {
    const { dir, netnsDir, ns } = await setup();
    expect(await ns.state({ kind: 'net', path: join(netnsDir, 'criod-missing') })).toBe('closed');
    expect(await ns.state({ kind: 'net', path: join(dir, 'no', 'such', 'dir', 'criod-x') })).toBe('closed');
    const plain = join(dir, 'plain');
    writeFileSync(plain, '');
    expect(await ns.state({ kind: 'net', path: plain })).toBe('closed');
    const [net] = await ns.create(podId(), ['net'], {});
    await expect(ns.state({ kind: 'ipc', path: net?.path ?? '' })).rejects.toThrow(FailedPreconditionError);
    await ns.release(net as PinnedNamespace);
  });

  it('refuses a non-namespaced sysctl before creating anything', async () => {
    const { dir, netnsDir, ns } = await setup();
    const err = await ns.create(podId(), ['net', 'ipc', 'uts'], { sysctls: { 'net.ipv4.ip_forward': '1', 'vm.swappiness': '10' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(String(err)).toMatch(/vm\.swappiness/);
    // net.* without a pod netns would land in the host's.
    await expect(ns.create(podId(), ['ipc'], { sysctls: { 'net.ipv4.ip_forward': '1' } })).rejects.toThrow(/net\.ipv4\.ip_forward/);
    expect(await ns.list()).toEqual([]);
    expect(existsSync(netnsDir)).toBe(false);
    expect(nsMountsUnder(dir)).toEqual([]);
  });

  it('refuses an invalid hostname before creating anything', async () => {
    const { dir, ns } = await setup();
    for (const hostname of ['bad host', 'x'.repeat(65), '-lead', 'a/b']) {
      await expect(ns.create(podId(), ['net', 'uts'], { hostname }), hostname).rejects.toThrow(InvalidArgumentError);
    }
    expect(await ns.list()).toEqual([]);
    expect(nsMountsUnder(dir)).toEqual([]);
  });

  it('leaves nothing pinned when a step fails mid-create, and names step and path', async () => {
    const { dir, netnsDir, pinDir, ns, name: nameOf } = await setup();
    const id = podId();
    const name = nameOf(id);
    const badValue = await ns
      .create(id, ['net', 'ipc', 'uts'], { hostname: 'h', sysctls: { 'kernel.shmmni': '100', 'net.ipv4.ip_unprivileged_port_start': 'not-a-number' } })
      .catch((e: unknown) => e);
    expect(badValue).toBeInstanceOf(InvalidArgumentError);
    expect(String(badValue)).toContain('set sysctl net.ipv4.ip_unprivileged_port_start=not-a-number');
    expect(String(badValue)).toContain(join(netnsDir, name));

    const missing = await ns.create(id, ['net', 'ipc'], { sysctls: { 'kernel.shm_no_such_knob': '1' } }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(InvalidArgumentError);
    expect(String(missing)).toContain(`set sysctl kernel.shm_no_such_knob=1" failed in ${join(pinDir, 'ipc', name)}`);

    expect(await ns.list()).toEqual([]);
    expect(nsMountsUnder(dir)).toEqual([]);
    // The same pod can be created afterwards.
    const ok = await ns.create(id, ['net', 'ipc', 'uts'], {});
    expect(ok).toHaveLength(3);
    for (const p of ok) await ns.release(p);
  });

  it('does not touch a pin that is already open, nor what it created itself', async () => {
    const { dir, netnsDir, ns } = await setup();
    const id = podId();
    const [net] = await ns.create(id, ['net'], {});
    const err = await ns.create(id, ['uts', 'net'], {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlreadyExistsError);
    expect(await ns.state(net as PinnedNamespace)).toBe('open');
    expect(await ns.list()).toEqual([net]);
    expect(nsMountsUnder(dir)).toHaveLength(1);
    await ns.release(net as PinnedNamespace);
    expect(existsSync(netnsDir)).toBe(true);
  });

  it('replaces a closed leftover pin file (a crash between touch and mount)', async () => {
    const { netnsDir, ns, name } = await setup();
    const id = podId();
    mkdirSync(netnsDir, { recursive: true });
    const leftover = join(netnsDir, name(id));
    writeFileSync(leftover, '');
    expect(await ns.list()).toEqual([{ kind: 'net', path: leftover }]);
    expect(await ns.state({ kind: 'net', path: leftover })).toBe('closed');
    const [net] = await ns.create(id, ['net'], {});
    expect(net?.path).toBe(leftover);
    expect(await ns.state(net as PinnedNamespace)).toBe('open');
    await ns.release(net as PinnedNamespace);
    // Releasing a closed leftover just deletes it.
    writeFileSync(leftover, '');
    await ns.release({ kind: 'net', path: leftover });
    expect(existsSync(leftover)).toBe(false);
  });

  it('release undoes stacked mounts and non-namespace mounts on its own pin', async () => {
    const { dir, ns } = await setup();
    const [net] = await ns.create(podId(), ['net'], {});
    const path = net?.path ?? '';
    execFileSync('unshare', [`--net=${path}`, 'true']); // a second namespace mounted on top
    expect(nsMountsUnder(dir)).toHaveLength(2);
    await ns.release(net as PinnedNamespace);
    expect(existsSync(path)).toBe(false);
    expect(nsMountsUnder(dir)).toEqual([]);

    const [uts] = await ns.create(podId(), ['uts'], {});
    const src = join(dir, 'some-file');
    writeFileSync(src, 'x');
    execFileSync('umount', [uts?.path ?? '']);
    execFileSync('mount', ['--bind', src, uts?.path ?? '']);
    expect(await ns.state(uts as PinnedNamespace)).toBe('closed');
    await ns.release(uts as PinnedNamespace);
    expect(existsSync(uts?.path ?? '')).toBe(false);
    expect(mountsUnder(dir).filter((m) => m.mountPoint === uts?.path)).toEqual([]);
  });

  it('refuses to release what criod did not pin, and lists only its own', async () => {
    const { dir, netnsDir, pinDir, ns } = await setup();
    const [mine] = await ns.create(podId(), ['net'], {});
    // A namespace someone else pinned in the same dir, iproute2 style.
    const foreign = join(netnsDir, 'other-netns');
    writeFileSync(foreign, '');
    execFileSync('unshare', [`--net=${foreign}`, 'true']);
    const outside = join(dir, 'criod-outside');
    writeFileSync(outside, '');
    execFileSync('unshare', [`--net=${outside}`, 'true']);

    for (const bad of [
      { kind: 'net' as const, path: foreign },
      { kind: 'net' as const, path: outside },
      { kind: 'net' as const, path: `${netnsDir}/../criod-outside` },
      { kind: 'ipc' as const, path: mine?.path ?? '' },
      { kind: 'uts' as const, path: join(pinDir, 'uts', 'not-criod') },
      { kind: 'net' as const, path: 'criod-relative' },
    ]) {
      const err = await ns.release(bad).catch((e: unknown) => e);
      expect(err, bad.path).toBeInstanceOf(InvalidArgumentError);
      expect(String(err)).toMatch(/only namespaces criod pinned itself/);
    }
    expect(statfsSync(foreign).type).toBe(NSFS_MAGIC);
    expect(statfsSync(outside).type).toBe(NSFS_MAGIC);
    expect(await ns.list()).toEqual([mine]);
    await ns.release(mine as PinnedNamespace);
    expect(await ns.list()).toEqual([]);
    expect(
      nsMountsUnder(dir)
        .map((m) => m.mountPoint)
        .sort(),
    ).toEqual([outside, foreign].sort());
  });

  it('lists only its own pins when another criod shares its dirs, and releases a pin of the old naming a record names', async () => {
    const first = await setup();
    const second = await setup({}, first.dir, join(first.dir, 'root2'));
    const mine = await first.ns.create(podId(), ['net', 'ipc'], {});
    const theirs = await second.ns.create(podId(), ['net'], {});
    expect(await first.ns.list()).toEqual(mine);
    expect(await second.ns.list()).toEqual(theirs);
    // Pinned by criod before instance ids: nobody's orphan, still released when its record asks.
    const old = join(first.netnsDir, `criod-${podId().slice(0, 32)}`);
    writeFileSync(old, '');
    execFileSync('unshare', [`--net=${old}`, 'true']);
    expect([...(await first.ns.list()), ...(await second.ns.list())].map((p) => p.path)).not.toContain(old);
    await first.ns.release({ kind: 'net', path: old });
    expect(existsSync(old)).toBe(false);
    for (const p of [...mine, ...theirs]) await (mine.includes(p) ? first : second).ns.release(p);
    expect(nsMountsUnder(first.dir)).toEqual([]);
  });

  it('creates many pods concurrently', async () => {
    const { dir, ns } = await setup();
    const ids = Array.from({ length: 8 }, podId);
    const all = await Promise.all(ids.map((id) => ns.create(id, ['net', 'ipc', 'uts'], { hostname: `h-${id.slice(0, 8)}` })));
    expect(nsMountsUnder(dir)).toHaveLength(24);
    for (const [i, pinned] of all.entries()) {
      expect(inNs('--uts', pathOf(pinned, 'uts'), ['hostname'])).toBe(`h-${ids[i]?.slice(0, 8)}`);
    }
    const states = await Promise.all(all.flat().map((p) => ns.state(p)));
    expect(new Set(states)).toEqual(new Set(['open']));
    await Promise.all(all.flat().map((p) => ns.release(p)));
    expect(nsMountsUnder(dir)).toEqual([]);
    expect(await ns.list()).toEqual([]);
  });

  it('is a NetnsNamespaces instance whose paths follow the config', async () => {
    const { netnsDir, pinDir, ns, name } = await setup();
    expect(ns).toBeInstanceOf(NetnsNamespaces);
    const n = ns as NetnsNamespaces;
    const id = podId();
    expect(n.pathFor(id, 'net')).toBe(join(netnsDir, name(id)));
    expect(n.pathFor(id, 'ipc')).toBe(join(pinDir, 'ipc', name(id)));
    expect(ns.pinsFor(id)).toEqual([
      { kind: 'net', path: join(netnsDir, name(id)) },
      { kind: 'ipc', path: join(pinDir, 'ipc', name(id)) },
      { kind: 'uts', path: join(pinDir, 'uts', name(id)) },
    ]);
  });
});
