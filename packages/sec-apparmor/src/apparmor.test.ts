import { execFile } from 'node:child_process';
import { access, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FailedPreconditionError,
  findExecutable,
  InternalError,
  InvalidArgumentError,
  silentLogger,
  type ContainerSecurityRequest,
  type Logger,
  type OciProcess,
  type OciSpec,
} from '@criod/core';
import { builtinProfileName, defaultProfileText } from './apparmor-profile.js';
import { configSchema, createAppArmorPlugin, loadedProfiles, type AppArmorHost } from './apparmor.js';

let dir = '';
let host: AppArmorHost;
const profilesFile = () => join(dir, 'securityfs', 'apparmor', 'profiles');

/** A stand-in apparmor_parser: records its arguments and input, then lists the profile as loaded. */
async function fakeParser(body?: string): Promise<string> {
  const path = join(dir, 'apparmor_parser');
  const script =
    body ??
    `echo "$@" > '${dir}/parser-args'
cat > '${dir}/parser-input'
name=$(sed -n 's/^profile \\([^ ]*\\) .*/\\1/p' '${dir}/parser-input')
[ -n "$name" ] || { echo "no profile in input" >&2; exit 1; }
echo "$name (enforce)" >> '${profilesFile()}'`;
  await writeFile(path, `#!/bin/sh\n${script}\n`);
  await chmod(path, 0o755);
  return path;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'criod-apparmor-'));
  await mkdir(join(dir, 'securityfs', 'apparmor'), { recursive: true });
  await writeFile(profilesFile(), 'docker-default (enforce)\n/usr/sbin/ntpd (complain)\n');
  host = { enabled: true, securityfs: join(dir, 'securityfs'), parser: await fakeParser() };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A container's spec as far as AppArmor looks at it: its process. */
function specOf(process: Partial<OciProcess> = {}): OciSpec {
  return { ociVersion: '1.0.2', process: { user: { uid: 0, gid: 0 }, cwd: '/', ...process } };
}

function request(fields: Partial<ContainerSecurityRequest> = {}): ContainerSecurityRequest {
  return { podId: 'pod-1', containerName: 'web', privileged: false, ...fields };
}

async function profileOf(
  plugin: Awaited<ReturnType<typeof createAppArmorPlugin>>,
  req: ContainerSecurityRequest,
  spec: OciSpec = specOf(),
): Promise<string | undefined> {
  await plugin.applyToContainer(spec, req);
  return spec.process?.apparmorProfile;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

describe('AppArmor where it is enabled', () => {
  it('installs the default profile at startup with apparmor_parser -Kr', async () => {
    const plugin = await createAppArmorPlugin(configSchema.parse({}), silentLogger, host);
    expect((await readFile(join(dir, 'parser-args'), 'utf8')).trim()).toBe('-Kr');
    expect(await readFile(join(dir, 'parser-input'), 'utf8')).toBe(defaultProfileText(builtinProfileName));
    expect(await loadedProfiles(host.securityfs)).toContain(builtinProfileName);
    expect(await plugin.status()).toEqual({ enabled: true, message: 'AppArmor enabled, default profile criod-default' });
  });

  it('applies the default profile for runtime/default and for unprivileged containers that set none', async () => {
    const plugin = await createAppArmorPlugin(configSchema.parse({}), silentLogger, host);
    expect(await profileOf(plugin, request({ apparmor: { type: 'runtimeDefault', localhostRef: '' } }))).toBe('criod-default');
    expect(await profileOf(plugin, request())).toBe('criod-default');
  });

  it('leaves privileged containers that set none, and unconfined ones, without a profile', async () => {
    const plugin = await createAppArmorPlugin(configSchema.parse({}), silentLogger, host);
    expect(await profileOf(plugin, request({ privileged: true }))).toBeUndefined();
    const spec = specOf({ apparmorProfile: 'criod-default', args: ['sh'] });
    await plugin.applyToContainer(spec, request({ apparmor: { type: 'unconfined', localhostRef: '' } }));
    expect(spec).toEqual(specOf({ args: ['sh'] }));
  });

  it('applies a loaded localhost profile, named with or without the localhost/ prefix', async () => {
    const plugin = await createAppArmorPlugin(configSchema.parse({}), silentLogger, host);
    expect(await profileOf(plugin, request({ apparmor: { type: 'localhost', localhostRef: 'docker-default' } }))).toBe('docker-default');
    expect(await profileOf(plugin, request({ apparmor: { type: 'localhost', localhostRef: 'localhost//usr/sbin/ntpd' } }))).toBe('/usr/sbin/ntpd');
  });

  it('refuses a localhost profile that is not loaded, naming it', async () => {
    const plugin = await createAppArmorPlugin(configSchema.parse({}), silentLogger, host);
    const err = await plugin
      .applyToContainer(specOf(), request({ apparmor: { type: 'localhost', localhostRef: 'localhost/my-app' } }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailedPreconditionError);
    expect((err as Error).message).toBe('container web: AppArmor profile my-app is not loaded on this node (load it with apparmor_parser -r)');
    await expect(plugin.applyToContainer(specOf(), request({ apparmor: { type: 'localhost', localhostRef: '' } }))).rejects.toThrow(InvalidArgumentError);
  });

  it('requires a configured default profile of its own to be loaded, without installing anything', async () => {
    const plugin = await createAppArmorPlugin(configSchema.parse({ default_profile: 'site-default' }), silentLogger, host);
    expect(await exists(join(dir, 'parser-args'))).toBe(false);
    await expect(plugin.applyToContainer(specOf(), request())).rejects.toThrow(/AppArmor profile site-default is not loaded/);
    await writeFile(profilesFile(), 'site-default (enforce)\n', { flag: 'a' });
    expect(await profileOf(plugin, request())).toBe('site-default');
  });

  it('fails startup naming apparmor_parser when it is missing or refuses the profile', async () => {
    const missing = { ...host, parser: join(dir, 'no-such-parser') };
    await expect(createAppArmorPlugin(configSchema.parse({}), silentLogger, missing)).rejects.toThrow(FailedPreconditionError);
    await expect(createAppArmorPlugin(configSchema.parse({}), silentLogger, missing)).rejects.toThrow(/no-such-parser was not found/);

    const failing = { ...host, parser: await fakeParser('echo "syntax error, line 3" >&2; exit 1') };
    const err = await createAppArmorPlugin(configSchema.parse({}), silentLogger, failing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InternalError);
    expect((err as Error).message).toMatch(/failed to load AppArmor profile criod-default \(exit 1\): syntax error, line 3/);
  });

  it('fails startup when the parser succeeds but the profile does not show up as loaded', async () => {
    const liar = { ...host, parser: await fakeParser('cat > /dev/null') };
    await expect(createAppArmorPlugin(configSchema.parse({}), silentLogger, liar)).rejects.toThrow(/is not listed in/);
  });
});

describe('AppArmor where it is not enabled', () => {
  it('ignores every request, says so once, and installs nothing', async () => {
    const said: string[] = [];
    const record = (msg: unknown, text?: string) => said.push(typeof msg === 'string' ? msg : (text ?? ''));
    const logger: Logger = { ...silentLogger, info: record, warn: record, child: () => logger };
    const plugin = await createAppArmorPlugin(configSchema.parse({}), logger, { ...host, enabled: false });
    for (const apparmor of [undefined, { type: 'runtimeDefault' as const, localhostRef: '' }, { type: 'localhost' as const, localhostRef: 'missing' }]) {
      const spec = specOf();
      await plugin.applyToContainer(spec, request({ apparmor }));
      expect(spec).toEqual(specOf());
    }
    expect(said).toEqual(['AppArmor is not enabled on this host: AppArmor profiles in requests are ignored']);
    expect(await exists(join(dir, 'parser-args'))).toBe(false);
    expect((await plugin.status()).enabled).toBe(false);
  });
});

describe('loadedProfiles', () => {
  it('reads profile names in any mode, including names with spaces', async () => {
    await writeFile(profilesFile(), 'a (enforce)\nwith space (complain)\n/usr/bin/x (kill)\n\ngarbage\n');
    expect([...(await loadedProfiles(host.securityfs))]).toEqual(['a', 'with space', '/usr/bin/x']);
  });

  it('fails naming the file when securityfs has no AppArmor listing', async () => {
    await expect(loadedProfiles(join(dir, 'nowhere'))).rejects.toThrow(/cannot list loaded AppArmor profiles from .*nowhere\/apparmor\/profiles/);
  });
});

const realParser = await findExecutable('apparmor_parser');

describe('the default profile text', () => {
  it('names the profile and confines signals and ptrace to its peers', () => {
    const text = defaultProfileText('p1');
    expect(text).toContain('profile p1 flags=(attach_disconnected,mediate_deleted) {');
    expect(text).toContain('signal (send,receive) peer=p1,');
    expect(text).toContain('ptrace (trace,read,tracedby,readby) peer=p1,');
    expect(text).toContain('deny mount,');
  });

  it.skipIf(!realParser)('compiles with the real apparmor_parser', async () => {
    const path = join(dir, 'profile');
    await writeFile(path, defaultProfileText(builtinProfileName));
    await promisify(execFile)(realParser as string, ['-Q', '-K', path]);
  });
});
