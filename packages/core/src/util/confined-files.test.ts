import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveUser } from '../containers/spec/user.js';
import { FileRefusedError, readRegularFile, resolveInRoot } from './confined-files.js';

let dir: string;
let root: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'criod-confined-'));
  root = join(dir, 'rootfs');
  mkdirSync(join(root, 'etc'), { recursive: true });
  // A file outside the rootfs that a hostile image would like criod to read.
  writeFileSync(join(dir, 'host-passwd'), 'app:x:999:999::/:/bin/sh\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveInRoot', () => {
  it('starts absolute symlinks again at the root and never climbs above it', async () => {
    symlinkSync('/etc/real', join(root, 'etc', 'abs'));
    symlinkSync('../../../../../etc/real', join(root, 'etc', 'rel'));
    symlinkSync(join(dir, 'host-passwd'), join(root, 'etc', 'host'));
    expect(await resolveInRoot(root, '/etc/abs')).toBe(join(root, 'etc', 'real'));
    expect(await resolveInRoot(root, '/etc/rel')).toBe(join(root, 'etc', 'real'));
    expect(await resolveInRoot(root, '/../../etc/host')).toBe(join(root, dir, 'host-passwd'));
  });

  it('refuses a symlink loop', async () => {
    symlinkSync('/etc/b', join(root, 'etc', 'a'));
    symlinkSync('/etc/a', join(root, 'etc', 'b'));
    await expect(resolveInRoot(root, '/etc/a')).rejects.toThrow(FileRefusedError);
  });
});

describe('readRegularFile', () => {
  it('reads a small regular file and refuses devices, FIFOs, directories and big files', async () => {
    writeFileSync(join(dir, 'small'), 'hello');
    expect((await readRegularFile(join(dir, 'small'), 5)).toString()).toBe('hello');
    await expect(readRegularFile(join(dir, 'small'), 4)).rejects.toThrow('5 bytes, more than 4');
    await expect(readRegularFile('/dev/zero', 1024)).rejects.toThrow('it is not a regular file');
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    await expect(readRegularFile(join(dir, 'fifo'), 1024)).rejects.toThrow('it is not a regular file');
    await expect(readRegularFile(dir, 1024)).rejects.toThrow('it is a directory');
    await expect(readRegularFile(join(dir, 'absent'), 1024)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe("an image's /etc/passwd", () => {
  const byName = { runAsUsername: 'app', supplementalGroups: [], imageUser: '' };

  it('is read through its symlinks inside the image', async () => {
    writeFileSync(join(root, 'etc', 'passwd.real'), 'app:x:1234:1235::/:/bin/sh\n');
    symlinkSync('/etc/passwd.real', join(root, 'etc', 'passwd'));
    expect(await resolveUser(root, byName)).toMatchObject({ uid: 1234, gid: 1235 });
  });

  it("never resolves to the host's file, by an absolute or a climbing symlink", async () => {
    symlinkSync(join(dir, 'host-passwd'), join(root, 'etc', 'passwd'));
    await expect(resolveUser(root, byName)).rejects.toThrow(`user "app" is not in the image's /etc/passwd`);
    rmSync(join(root, 'etc', 'passwd'));
    symlinkSync('../../host-passwd', join(root, 'etc', 'passwd'));
    await expect(resolveUser(root, byName)).rejects.toThrow(`user "app" is not in the image's /etc/passwd`);
  });

  it('counts as empty when it is a device', async () => {
    symlinkSync('/dev/zero', join(root, 'etc', 'passwd'));
    mkdirSync(join(root, 'dev'));
    execFileSync('mknod', [join(root, 'dev', 'zero'), 'c', '1', '5']);
    await expect(resolveUser(root, byName)).rejects.toThrow(`user "app" is not in the image's /etc/passwd`);
  });
});
