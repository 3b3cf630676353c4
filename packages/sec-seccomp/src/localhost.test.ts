import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@criod/core';
import { LOCALHOST_PROFILE_MAX_BYTES, loadLocalhostProfile } from './localhost.js';
import { hostArchitecture, renderSeccompProfile, type HostArchitecture } from './render.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'criod-seccomp-localhost-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function profileFile(content: unknown): Promise<string> {
  const path = join(dir, 'profile.json');
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

async function loadError(path: string): Promise<InvalidArgumentError> {
  const err = await loadLocalhostProfile(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidArgumentError);
  return err as InvalidArgumentError;
}

describe('loadLocalhostProfile', () => {
  it('refuses a relative path', async () => {
    expect((await loadError('profiles/x.json')).message).toBe('seccomp localhost profile "profiles/x.json" must be an absolute path');
  });

  it('names a missing file', async () => {
    const path = join(dir, 'absent.json');
    expect((await loadError(path)).message).toBe(`seccomp localhost profile ${path}: the file does not exist`);
  });

  it('names a directory given as the profile', async () => {
    const path = join(dir, 'sub');
    await mkdir(path);
    expect((await loadError(path)).message).toBe(`seccomp localhost profile ${path}: it is a directory, not a file`);
  });

  it('refuses devices and FIFOs at once, without reading them', async () => {
    const started = Date.now();
    for (const device of ['/dev/zero', '/dev/urandom']) {
      expect((await loadError(device)).message).toBe(`seccomp localhost profile ${device}: it is not a regular file`);
    }
    const fifo = join(dir, 'fifo');
    await promisify(execFile)('mkfifo', [fifo]);
    expect((await loadError(fifo)).message).toBe(`seccomp localhost profile ${fifo}: it is not a regular file`);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses a file over the size limit', async () => {
    const path = await profileFile(' '.repeat(LOCALHOST_PROFILE_MAX_BYTES + 1));
    expect((await loadError(path)).message).toBe(
      `seccomp localhost profile ${path}: ${LOCALHOST_PROFILE_MAX_BYTES + 1} bytes, more than ${LOCALHOST_PROFILE_MAX_BYTES}`,
    );
  });

  it('never quotes the content of the file it refuses', async () => {
    const notJson = await profileFile('root:$6$secret-hash:19000:0:99999:7:::\n');
    expect((await loadError(notJson)).message).toBe(`seccomp localhost profile ${notJson} is not valid JSON`);
    const badValue = await profileFile({ defaultAction: 'secret-value', syscalls: [] });
    expect((await loadError(badValue)).message).not.toContain('secret-value');
  });

  it('names a file that is not JSON', async () => {
    const path = await profileFile('{ "defaultAction": ');
    expect((await loadError(path)).message).toMatch(new RegExp(`^seccomp localhost profile ${path} is not valid JSON`));
  });

  it('names the bad fields of an invalid profile', async () => {
    const path = await profileFile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_MAYBE' }] });
    const message = (await loadError(path)).message;
    expect(message).toContain(`seccomp localhost profile ${path} is not a valid seccomp profile: `);
    expect(message).toContain('syscalls.0.action');
  });

  it('refuses misspelt keys rather than ignoring them', async () => {
    const path = await profileFile({ defaultaction: 'SCMP_ACT_ALLOW' });
    const message = (await loadError(path)).message;
    expect(message).toContain('defaultAction');
    expect(message).toContain('defaultaction');
  });

  it('refuses contradictory rules', async () => {
    const cases: [unknown, string][] = [
      [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['a'], name: 'b', action: 'SCMP_ACT_ALLOW' }] }, 'exactly one of "names"'],
      [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['a'], action: 'SCMP_ACT_ALLOW', errnoRet: 1 }] }, 'syscalls.0.errnoRet'],
      [{ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'], archMap: [{ architecture: 'SCMP_ARCH_X86_64' }] }, 'not both'],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['a'], action: 'SCMP_ACT_NOTIFY' }] }, 'listenerPath'],
      [
        { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['a'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] },
        'syscalls.0.args.0.index',
      ],
    ];
    for (const [profile, expected] of cases) {
      expect((await loadError(await profileFile(profile))).message).toContain(expected);
    }
  });

  it('loads a Docker-style profile and renders its conditions', async () => {
    const path = await profileFile({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }],
      syscalls: [
        { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW', comment: 'basics', args: null },
        { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
        { names: ['chroot'], action: 'SCMP_ACT_ALLOW', excludes: { arches: ['amd64'] } },
      ],
    });
    const source = await loadLocalhostProfile(path);
    const rendered = renderSeccompProfile(source, { arch: hostArchitecture('x64') as HostArchitecture, kernel: [6, 1], capabilities: [] });
    expect(rendered).toEqual({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
      syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }],
    });
  });
});
