import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FailedPreconditionError, InternalError, InvalidArgumentError, silentLogger, type OciSpec, type PluginInstances } from '@criod/core';
import { createSelinuxPlugin, detectSelinux, selinuxConfigSchema, type SelinuxContainerRequest } from './selinux.js';
import defaultExport, { plugin as namedExport, selinuxPlugin } from './index.js';
import { formatSelinuxLabel, McsLevels, parseSelinuxLabel } from './selinux-levels.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function fakeRoot(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'criod-selinux-'));
  dirs.push(root);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

describe('detectSelinux', () => {
  it('reads the mode from selinuxfs', async () => {
    const enforcing = await fakeRoot({ 'sys/fs/selinux/enforce': '1' });
    expect(await detectSelinux(join(enforcing, 'sys'), join(enforcing, 'proc'))).toEqual({ enabled: true, mode: 'enforcing' });
    const permissive = await fakeRoot({ 'sys/fs/selinux/enforce': '0\n' });
    expect(await detectSelinux(join(permissive, 'sys'), join(permissive, 'proc'))).toEqual({ enabled: true, mode: 'permissive' });
  });

  it('counts a kernel that registered selinuxfs as enabled even when it is not mounted', async () => {
    const root = await fakeRoot({ 'proc/filesystems': 'nodev\tsysfs\nnodev\tselinuxfs\n\text4\n' });
    expect(await detectSelinux(join(root, 'sys'), join(root, 'proc'))).toEqual({ enabled: true, mode: 'unknown' });
  });

  it('is disabled without either, as on this machine', async () => {
    const root = await fakeRoot({ 'proc/filesystems': 'nodev\tsysfs\n\text4\n' });
    expect(await detectSelinux(join(root, 'sys'), join(root, 'proc'))).toEqual({ enabled: false, mode: 'disabled' });
    expect((await detectSelinux()).enabled).toBe(false);
  });
});

const enabledHost = { enabled: true, mode: 'enforcing' as const };
const mcsLevel = /^s0:c(\d+),c(\d+)$/;

function plugin(levels?: McsLevels) {
  return createSelinuxPlugin(selinuxConfigSchema.parse({}), silentLogger, enabledHost, levels);
}

function request(fields: Partial<SelinuxContainerRequest> = {}): SelinuxContainerRequest {
  return { containerName: 'web', privileged: false, podId: 'pod-1', ...fields };
}

/** A container's spec as far as SELinux looks at it: its process and linux sections. */
function containerSpec(): OciSpec {
  return { ociVersion: '1.0.2', process: { user: { uid: 0, gid: 0 }, cwd: '/' }, linux: {} };
}

async function labels(p: ReturnType<typeof plugin>, req: SelinuxContainerRequest) {
  const spec = containerSpec();
  await p.applyToContainer(spec, req);
  return { process: spec.process?.selinuxLabel, mount: spec.linux?.mountLabel };
}

function levelOf(label: string | undefined): string {
  return parseSelinuxLabel(label ?? '').level;
}

describe('SELinux labels where SELinux is enabled', () => {
  it('labels a container container_t and its mounts container_file_t at a fresh pod level', async () => {
    const { process, mount } = await labels(plugin(), request());
    const level = levelOf(process);
    const [, a, b] = mcsLevel.exec(level) ?? [];
    expect(Number(a)).toBeLessThan(Number(b));
    expect(process).toBe(`system_u:system_r:container_t:${level}`);
    expect(mount).toBe(`system_u:object_r:container_file_t:${level}`);
  });

  it('gives containers of one pod the same level and other pods another', async () => {
    const p = plugin();
    const first = levelOf((await labels(p, request({ containerName: 'a' }))).process);
    const second = levelOf((await labels(p, request({ containerName: 'b' }))).process);
    const other = levelOf((await labels(p, request({ podId: 'pod-2' }))).process);
    expect(second).toBe(first);
    expect(other).not.toBe(first);
    expect(await p.reserveLevel('pod-1')).toBe(first);
  });

  it("uses the level core reserved for the pod from the pod's own options", async () => {
    const p = plugin();
    expect(await p.reserveLevel('pod-1', 's0:c5,c6')).toBe('s0:c5,c6');
    expect(await labels(p, request())).toEqual({ process: 'system_u:system_r:container_t:s0:c5,c6', mount: 'system_u:object_r:container_file_t:s0:c5,c6' });
  });

  it("builds labels from the container's SELinuxOption: user and level on both, role and type on the process", async () => {
    const selinux = { user: 'staff_u', role: 'staff_r', type: 'spc_t', level: 's0-s0:c0.c1023' };
    expect(await labels(plugin(), request({ selinux, podId: undefined }))).toEqual({
      process: 'staff_u:staff_r:spc_t:s0-s0:c0.c1023',
      mount: 'staff_u:object_r:container_file_t:s0-s0:c0.c1023',
    });
    const onlyType = await labels(plugin(), request({ selinux: { user: '', role: '', type: 'container_init_t', level: '' } }));
    expect(onlyType.process).toMatch(/^system_u:system_r:container_init_t:s0:c\d+,c\d+$/);
  });

  it('leaves privileged containers without a process label unless they set options', async () => {
    const bare = await labels(plugin(), request({ privileged: true }));
    expect(bare.process).toBeUndefined();
    expect(bare.mount).toMatch(/^system_u:object_r:container_file_t:s0:c\d+,c\d+$/);
    const typed = await labels(plugin(), request({ privileged: true, selinux: { user: '', role: '', type: 'spc_t', level: '' } }));
    expect(typed.process).toMatch(/^system_u:system_r:spc_t:/);
  });

  it('refuses malformed options, naming the container and field', async () => {
    await expect(plugin().applyToContainer(containerSpec(), request({ selinux: { user: '', role: '', type: 'bad:type', level: '' } }))).rejects.toThrow(
      'container web: SELinux type "bad:type" is not a valid identifier',
    );
    await expect(plugin().applyToContainer(containerSpec(), request({ selinux: { user: '', role: '', type: '', level: 's0:x1' } }))).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(plugin().reserveLevel('pod-1', 'top-secret')).rejects.toThrow(InvalidArgumentError);
  });

  it('needs the pod id to pick a level when the request has none', async () => {
    await expect(plugin().applyToContainer(containerSpec(), request({ podId: undefined }))).rejects.toThrow(InternalError);
  });

  it('frees a pod level on release, idempotently', async () => {
    const levels = new McsLevels(3);
    const p = plugin(levels);
    const held = [await p.reserveLevel('a'), await p.reserveLevel('b'), await p.reserveLevel('c')];
    expect(new Set(held).size).toBe(3);
    await expect(p.reserveLevel('d')).rejects.toThrow(FailedPreconditionError);
    await p.releaseLevel('b');
    await p.releaseLevel('b');
    await p.releaseLevel('never-reserved');
    expect(await p.reserveLevel('d')).toBe(held[1]);
  });
});

describe('SELinux where it is not enabled', () => {
  it('changes nothing and reserves no levels', async () => {
    const p = createSelinuxPlugin(selinuxConfigSchema.parse({}), silentLogger, { enabled: false, mode: 'disabled' });
    const spec = containerSpec();
    await p.applyToContainer(spec, request({ selinux: { user: 'u', role: 'r', type: 't', level: 's0' } }));
    expect(spec).toEqual(containerSpec());
    expect(await p.reserveLevel('pod-1')).toBe('');
    expect(await p.reservePod?.('pod-1', { selinuxLevel: '' })).toBeUndefined();
    expect(await p.status()).toEqual({ enabled: false, message: 'SELinux not enabled on this host' });
  });

  it('is what the plugin definition makes on this machine', async () => {
    const sec = await selinuxPlugin.create({
      config: selinuxConfigSchema.parse({}),
      root: '/nonexistent',
      runroot: '/nonexistent',
      logger: silentLogger,
      get: <K extends keyof PluginInstances>(): PluginInstances[K] => {
        throw new Error('no deps');
      },
    });
    expect(selinuxPlugin.configSection).toBe('selinux');
    expect(selinuxPlugin.name).toBe('@criod/sec-selinux');
    expect([defaultExport, namedExport]).toEqual([selinuxPlugin, selinuxPlugin]);
    expect((await sec.status()).enabled).toBe(false);
  });
});

describe('MCS levels', () => {
  it('hands out distinct category pairs to many pods', () => {
    const levels = new McsLevels();
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) seen.add(levels.reserve(`pod-${i}`));
    expect(seen.size).toBe(2000);
    for (const level of seen) expect(level).toMatch(mcsLevel);
  });

  it('lets pods share a level they ask for and keeps it held until the last one goes', () => {
    const levels = new McsLevels(2);
    expect(levels.reserve('a', 's0:c0,c1')).toBe('s0:c0,c1');
    expect(levels.reserve('b', 's0:c0,c1')).toBe('s0:c0,c1');
    expect(() => levels.reserve('c')).toThrow(FailedPreconditionError);
    levels.release('a');
    expect(() => levels.reserve('c')).toThrow(FailedPreconditionError);
    levels.release('b');
    expect(levels.reserve('c')).toBe('s0:c0,c1');
  });
});

describe('labels and config', () => {
  it('parses and formats labels whose level holds colons', () => {
    const c = parseSelinuxLabel('system_u:system_r:container_t:s0:c1,c2');
    expect(c).toEqual({ user: 'system_u', role: 'system_r', type: 'container_t', level: 's0:c1,c2' });
    expect(formatSelinuxLabel(c)).toBe('system_u:system_r:container_t:s0:c1,c2');
    expect(() => parseSelinuxLabel('container_t')).toThrow(InvalidArgumentError);
  });

  it('defaults to the container-selinux types and refuses malformed labels', () => {
    expect(selinuxConfigSchema.parse({})).toEqual({ process_label: 'system_u:system_r:container_t:s0', mount_label: 'system_u:object_r:container_file_t:s0' });
    expect(selinuxConfigSchema.safeParse({ process_label: 'container_t' }).success).toBe(false);
    expect(selinuxConfigSchema.safeParse({ enforce: true }).success).toBe(false);
  });
});
