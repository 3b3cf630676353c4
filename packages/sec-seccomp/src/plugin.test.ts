import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  silentLogger,
  type ContainerSecurityRequest,
  type LinuxPodSecurity,
  type OciProcess,
  type OciSeccomp,
  type OciSpec,
  type SecurityProfile,
} from '@criod/core';
import { seccompProfileFromName } from './profile-names.js';
import { configSchema, createSeccompPlugin, type SeccompHost } from './plugin.js';
import { hostArchitecture } from './render.js';

const host: SeccompHost = { support: { supported: true, actions: ['errno', 'allow'] }, arch: hostArchitecture('x64'), kernel: [6, 1, 0] };
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function plugin(defaultProfile?: string, seccompHost = host) {
  return createSeccompPlugin(configSchema.parse(defaultProfile ? { default_profile: defaultProfile } : {}), silentLogger, seccompHost);
}

function request(fields: Partial<ContainerSecurityRequest> = {}): ContainerSecurityRequest {
  return { podId: 'pod-1', containerName: 'c', privileged: false, ...fields };
}

const runtimeDefault: SecurityProfile = { type: 'runtimeDefault', localhostRef: '' };

/** A spec as far as the test needs it. */
function spec(fields: Omit<OciSpec, 'ociVersion'> = {}): OciSpec {
  return { ociVersion: '1.0.2', ...fields };
}

function processWith(bounding: string[]): OciProcess {
  return { user: { uid: 0, gid: 0 }, cwd: '/', capabilities: { bounding } };
}

async function applied(p: ReturnType<typeof plugin>, req: ContainerSecurityRequest, into: OciSpec = spec()): Promise<OciSeccomp | undefined> {
  await p.applyToContainer(into, req);
  return into.linux?.seccomp;
}

function isRuntimeDefault(profile: OciSeccomp | undefined): boolean {
  return profile?.defaultAction === 'SCMP_ACT_ERRNO' && profile.defaultErrnoRet === 1 && (profile.syscalls?.length ?? 0) > 10;
}

describe('profile selection', () => {
  it('leaves containers that set nothing unconfined by default, as the CRI says', async () => {
    expect(await applied(plugin(), request())).toBeUndefined();
  });

  it('applies RuntimeDefault to containers that set nothing when the fallback says so', async () => {
    expect(isRuntimeDefault(await applied(plugin('runtime/default'), request()))).toBe(true);
    expect(isRuntimeDefault(await applied(plugin('docker/default'), request()))).toBe(true);
  });

  it('keeps privileged containers unconfined, whatever profile they name', async () => {
    expect(await applied(plugin('runtime/default'), request({ privileged: true }))).toBeUndefined();
    expect(await applied(plugin(), request({ privileged: true, seccomp: runtimeDefault }))).toBeUndefined();
    // critest's "ignore a seccomp profile that blocks setting hostname when privileged": the file is not even read.
    const blocksHostname = { type: 'localhost', localhostRef: 'localhost//nonexistent/block-host-name.json' } as const;
    const confined = spec({ linux: { seccomp: { defaultAction: 'SCMP_ACT_KILL' } } });
    expect(await applied(plugin(), request({ privileged: true, seccomp: blocksHostname }), confined)).toBeUndefined();
  });

  it('removes a filter already in the spec for an unconfined container', async () => {
    const confined = spec({ linux: { seccomp: { defaultAction: 'SCMP_ACT_KILL' }, namespaces: [] } });
    await plugin().applyToContainer(confined, request({ seccomp: { type: 'unconfined', localhostRef: '' } }));
    expect(confined.linux).toEqual({ namespaces: [] });
  });

  it('keeps the rest of linux when it adds the filter', async () => {
    const withPid = spec({ linux: { namespaces: [{ type: 'pid' }] } });
    await plugin().applyToContainer(withPid, request({ seccomp: runtimeDefault }));
    expect(withPid.linux?.namespaces).toEqual([{ type: 'pid' }]);
    expect(isRuntimeDefault(withPid.linux?.seccomp)).toBe(true);
  });

  it('reads legacy names that arrive as a localhost reference', async () => {
    for (const name of ['runtime/default', 'docker/default']) {
      expect(isRuntimeDefault(await applied(plugin(), request({ seccomp: { type: 'localhost', localhostRef: name } }))), name).toBe(true);
    }
    expect(await applied(plugin('runtime/default'), request({ seccomp: { type: 'localhost', localhostRef: 'unconfined' } }))).toBeUndefined();
  });

  it('loads a Localhost profile by path, also in its legacy localhost/<path> form', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'criod-seccomp-plugin-'));
    dirs.push(dir);
    const path = join(dir, 'p.json');
    await writeFile(path, JSON.stringify({ defaultAction: 'SCMP_ACT_LOG' }));
    const want = { defaultAction: 'SCMP_ACT_LOG', syscalls: [] };
    expect(await applied(plugin(), request({ seccomp: { type: 'localhost', localhostRef: path } }))).toEqual(want);
    expect(await applied(plugin(), request({ seccomp: { type: 'localhost', localhostRef: `localhost/${path}` } }))).toEqual(want);
  });

  it('fails CreateContainer with InvalidArgument naming a missing Localhost profile', async () => {
    const path = '/nonexistent/criod/profile.json';
    const err = await plugin()
      .applyToContainer(spec(), request({ seccomp: { type: 'localhost', localhostRef: path } }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toContain('does not exist');
  });

  it('renders capability rules from the bounding set core put in the spec', async () => {
    const allowsMount = (p: OciSeccomp | undefined) => p?.syscalls?.some((s) => s.names.includes('mount') && s.action === 'SCMP_ACT_ALLOW') ?? false;
    const admin = spec({ process: processWith(['CAP_SYS_ADMIN']) });
    expect(allowsMount(await applied(plugin(), request({ seccomp: runtimeDefault }), admin))).toBe(true);
    const plain = spec({ process: processWith(['CAP_CHOWN']) });
    expect(allowsMount(await applied(plugin(), request({ seccomp: runtimeDefault }), plain))).toBe(false);
  });

  it('ignores profiles on a kernel without seccomp and says so in status', async () => {
    const p = plugin('runtime/default', { ...host, support: { supported: false, actions: [] } });
    expect(await applied(p, request({ seccomp: runtimeDefault }))).toBeUndefined();
    expect(await p.status()).toEqual({ enabled: false, message: 'seccomp not supported by the kernel' });
  });

  it('reports the fallback profile in status and info', async () => {
    const p = plugin('runtime/default');
    expect((await p.status()).message).toContain('default profile runtime/default');
    expect(await p.info?.()).toMatchObject({ supported: true, arch: 'SCMP_ARCH_X86_64', defaultProfile: 'runtime/default' });
  });
});

describe('seccompProfileFromName', () => {
  it('maps the CRI deprecated profile strings', () => {
    expect(seccompProfileFromName('')).toBeUndefined();
    expect(seccompProfileFromName('unconfined')).toEqual({ type: 'unconfined', localhostRef: '' });
    expect(seccompProfileFromName('runtime/default')).toEqual(runtimeDefault);
    expect(seccompProfileFromName('docker/default')).toEqual(runtimeDefault);
    expect(seccompProfileFromName('localhost//var/lib/kubelet/seccomp/a.json')).toEqual({ type: 'localhost', localhostRef: '/var/lib/kubelet/seccomp/a.json' });
    expect(() => seccompProfileFromName('strict')).toThrow(InvalidArgumentError);
  });
});

describe('config', () => {
  it('accepts the legacy docker/default name and refuses unknown ones', () => {
    expect(configSchema.parse({ default_profile: 'docker/default' })).toEqual({ default_profile: 'docker/default' });
    expect(configSchema.safeParse({ default_profile: 'localhost/x' }).success).toBe(false);
  });
});

describe('pod-level profile at RunPodSandbox', () => {
  const pod = (seccompProfile?: SecurityProfile, privileged = false): LinuxPodSecurity => ({
    namespaceOptions: { network: 'pod', pid: 'container', ipc: 'pod', targetId: '' },
    privileged,
    readonlyRootfs: false,
    supplementalGroups: [],
    seccompProfile,
  });

  it('refuses a Localhost profile that does not exist or is no profile, and accepts the rest', async () => {
    const p = plugin();
    await expect(p.validatePod!(pod({ type: 'localhost', localhostRef: '/nonexistent/profile.json' }))).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(p.validatePod!(pod({ type: 'localhost', localhostRef: '/dev/zero' }))).rejects.toThrow('it is not a regular file');
    await p.validatePod!(pod(runtimeDefault));
    await p.validatePod!(pod());
    // A privileged pod is not confined, so its profile is never read.
    await p.validatePod!(pod({ type: 'localhost', localhostRef: '/nonexistent/profile.json' }, true));
  });
});
