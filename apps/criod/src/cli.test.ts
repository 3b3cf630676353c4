import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { parse as parseToml } from 'smol-toml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// The committed entry point, as `pnpm exec criod` runs it (needs a prior build).
const bin = fileURLToPath(new URL('../bin/criod.js', import.meta.url));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'criod-cli-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function criod(...args: string[]) {
  return execa('node', [bin, ...args], { reject: false, timeout: 30_000 });
}

function writeConfig(text: string): string {
  const p = join(dir, 'criod.toml');
  writeFileSync(p, text);
  return p;
}

describe('criod command line', () => {
  it('prints help', async () => {
    const r = await criod('--help');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('criod config');
    expect(r.stdout).toContain('--runtime-endpoint unix:///run/criod/criod.sock');
  });

  it('prints its version', async () => {
    const r = await criod('version');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^criod \d+\.\d+\.\d+\nCRI API v1/);
  });

  it('refuses an unknown flag and an unknown command', async () => {
    expect((await criod('--frobnicate')).exitCode).toBe(2);
    const r = await criod('launch');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('unknown command "launch"');
  });

  it('prints the effective config with defaults, which reads back as the same config', async () => {
    const r = await criod('config', '--config', writeConfig('[network]\nconf_dir = "/srv/cni"\n'), '--root', '/srv/criod');
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const printed = parseToml(r.stdout) as Record<string, Record<string, unknown>>;
    expect(printed.root).toBe('/srv/criod');
    expect(printed.network?.conf_dir).toBe('/srv/cni');
    expect(printed.network?.plugin_dirs).toEqual(['/opt/cni/bin', '/usr/lib/cni']);
    expect(printed.runtime?.default_handler).toBe('runc');
    expect(r.stdout).toContain('# [network] is owned by the plugin @criod/net-cni');
    const again = await criod('config', '--config', writeConfig(r.stdout));
    expect(again.exitCode).toBe(0);
    expect(parseToml(again.stdout)).toEqual(printed);
  });

  it('prints the config reference of the bundled plugins, and only with the config command', async () => {
    const r = await criod('config', '--reference', '--config', writeConfig(''));
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^### criod\n\n\| key \| type \| default \| description \|/);
    expect(r.stdout).toContain('| `metrics.port` | integer | `9090` |');
    expect(r.stdout).toContain('### `[selinux]` of @criod/sec-selinux');
    expect(r.stdout).toContain(
      '### `[store]` of @criod/store-fs\n\nThe records and images plugins of @criod/store-fs, the default `plugins.records` and the default `plugins.images`.',
    );
    const misplaced = await criod('version', '--reference');
    expect(misplaced.exitCode).toBe(2);
    expect(misplaced.stderr).toContain('--reference goes with the config command');
  });

  it('still loads a config that selects the deprecated @criod/sec-apparmor/selinux entry', async () => {
    const label = 'system_u:system_r:container_t:s0:c1,c2';
    const r = await criod('config', '--config', writeConfig(`[plugins]\nsecurity = ["@criod/sec-apparmor/selinux"]\n[selinux]\nprocess_label = "${label}"\n`));
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const printed = parseToml(r.stdout) as Record<string, Record<string, unknown>>;
    expect(printed.plugins?.security).toEqual(['@criod/sec-apparmor/selinux']);
    expect(printed.selinux).toEqual({ process_label: label, mount_label: 'system_u:object_r:container_file_t:s0' });
  });

  it('stops on an unknown key, naming it', async () => {
    const r = await criod('config', '--config', writeConfig('[runtime]\ncgroup_manger = "systemd"\n'));
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('unknown config key "runtime.cgroup_manger"');
  });

  it('stops on a plugin package that cannot be loaded, naming it', async () => {
    const r = await criod('config', '--config', writeConfig('[plugins]\nruntime = "@acme/oci-missing"\n'));
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('plugins.runtime: cannot load plugin package "@acme/oci-missing"');
  });

  it('stops on a package of the wrong kind, naming what it exports', async () => {
    const r = await criod('config', '--config', writeConfig('[plugins]\nimages = "@criod/net-cni"\n'));
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('plugins.images: package "@criod/net-cni" exports no images plugin definition (it exports network plugin (default export))');
  });

  it('takes records from store-fs and images from a package installed next to the working directory', async () => {
    // A third-party package as an operator would `npm install` it: only zod and a named export.
    const pkgDir = join(dir, 'node_modules', '@acme', 'images-memory');
    mkdirSync(pkgDir, { recursive: true });
    symlinkSync(dirname(createRequire(import.meta.url).resolve('zod/package.json')), join(dir, 'node_modules', 'zod'));
    writeFileSync(join(pkgDir, 'package.json'), JSON.stringify({ name: '@acme/images-memory', type: 'module', exports: './index.js' }));
    writeFileSync(
      join(pkgDir, 'index.js'),
      "import { z } from 'zod';\n" +
        'export const images = { kind: "images", name: "@acme/images-memory", configSection: "images_memory",\n' +
        '  configSchema: z.strictObject({ capacity: z.number().default(10) }), create: async () => { throw new Error("unused"); } };\n',
    );
    const r = await execa('node', [bin, 'config', '--config', writeConfig('[plugins]\nimages = "@acme/images-memory"\n')], { cwd: dir, reject: false });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('# [store] is owned by the plugin @criod/store-fs:records\n');
    expect(r.stdout).toContain('# [images_memory] is owned by the plugin @acme/images-memory\n');
    const printed = parseToml(r.stdout) as Record<string, Record<string, unknown>>;
    expect(printed.plugins).toMatchObject({ records: '@criod/store-fs', images: '@acme/images-memory' });
    expect(printed.images_memory).toEqual({ capacity: 10 });
  });

  it('takes the deprecated plugins.store for records and images, warning with the new keys', async () => {
    const r = await criod('config', '--config', writeConfig('[plugins]\nstore = "@criod/store-fs"\n[store]\nrootfs_mode = "copy"\n'));
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('criod: warning: config key plugins.store is deprecated and will be removed in the next release');
    expect(r.stdout).toContain('# [store] is owned by the plugins @criod/store-fs:records and @criod/store-fs:images\n');
    const printed = parseToml(r.stdout) as Record<string, Record<string, unknown>>;
    expect(printed.plugins).toMatchObject({ records: '@criod/store-fs', images: '@criod/store-fs' });
    expect(printed.plugins).not.toHaveProperty('store');
    expect(printed.store?.rootfs_mode).toBe('copy');
  });

  it('fails to start naming a missing runtime binary with an install hint', async () => {
    const cfg = writeConfig(
      `listen = "unix://${dir}/criod.sock"\nroot = "${dir}/root"\nrunroot = "${dir}/run"\n[runtime.handlers.runc]\npath = "/nonexistent/runc"\n`,
    );
    const r = await criod('--config', cfg);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('runtime handler "runc": binary "/nonexistent/runc" not found');
  });

  it('logs the deprecation of plugins.store when it serves', async () => {
    const cfg = writeConfig(
      `listen = "unix://${dir}/criod.sock"\nroot = "${dir}/root"\nrunroot = "${dir}/run"\n[plugins]\nstore = "@criod/store-fs"\n[runtime.handlers.runc]\npath = "/nonexistent/runc"\n`,
    );
    const r = await criod('--config', cfg);
    expect(r.exitCode).toBe(1);
    const warning = r.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .find((entry) => entry.msg.startsWith('config key plugins.store is deprecated'));
    expect(warning?.level).toBe(40);
  });
});
