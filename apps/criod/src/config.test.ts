import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePlugin, type PluginDefinition } from '@criod/core';
import { FakeNetwork } from '@criod/core/testing';
import { parse as parseToml } from 'smol-toml';
import { buildEffectiveConfig, ConfigError, deprecatedKeyWarnings, parsePluginsSection, readConfigFile } from './config.js';

const network = definePlugin({
  kind: 'network',
  name: '@acme/net-test',
  configSection: 'network',
  configSchema: z.strictObject({ conf_dir: z.string().default('/etc/cni/net.d'), plugin_dirs: z.array(z.string()).default(['/usr/lib/cni']) }),
  async create() {
    return new FakeNetwork();
  },
}) as PluginDefinition;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function build(toml: string, overrides = {}) {
  return buildEffectiveConfig(parseToml(toml) as Record<string, unknown>, overrides, [network], 'criod.toml');
}

describe('effective config', () => {
  it('fills every default from an empty file', () => {
    const c = build('');
    expect(c).toMatchObject({
      listen: 'unix:///run/criod/criod.sock',
      root: '/var/lib/criod',
      runroot: '/run/criod',
      log_level: 'info',
      plugins: { runtime: '@criod/oci-runc', network: '@criod/net-cni', security: ['@criod/sec-seccomp', '@criod/sec-apparmor', '@criod/sec-selinux'] },
      image: { pause_image: 'registry.k8s.io/pause:3.10', registries: {} },
      streaming: { address: '127.0.0.1', port: 0 },
      metrics: { enable: false, address: '127.0.0.1', port: 9090 },
      network: { conf_dir: '/etc/cni/net.d', plugin_dirs: ['/usr/lib/cni'] },
    });
  });

  it('keeps file values and lets flags override them', () => {
    const c = build('root = "/srv/criod"\nlisten = "unix:///tmp/a.sock"\n[network]\nconf_dir = "/x"\n', { listen: 'unix:///tmp/b.sock' });
    expect(c.root).toBe('/srv/criod');
    expect(c.listen).toBe('unix:///tmp/b.sock');
    expect(c.network).toEqual({ conf_dir: '/x', plugin_dirs: ['/usr/lib/cni'] });
  });

  it('names an unknown key inside a plugin section', () => {
    expect(() => build('[network]\nconf_dirr = "/x"\n')).toThrow('criod.toml: unknown config key "network.conf_dirr"');
  });

  it('names an unknown top-level key and an unknown section', () => {
    expect(() => build('rooot = "/x"\n')).toThrow('unknown config key "rooot"');
    expect(() => build('[kata]\nx = 1\n')).toThrow('unknown config key "kata"');
  });

  it('names a key with a bad value', () => {
    expect(() => build('[streaming]\nport = 70000\n')).toThrow(/bad value for config key "streaming.port"/);
    expect(() => build('[metrics]\nenable = "yes"\n')).toThrow(/bad value for config key "metrics.enable"/);
    expect(() => build('[metrics]\nenabled = true\n')).toThrow('unknown config key "metrics.enabled"');
    expect(() => build('listen = "tcp://0.0.0.0:1"\n')).toThrow(/bad value for config key "listen": must be a unix/);
    expect(() => build('log_level = "chatty"\n')).toThrow(/bad value for config key "log_level"/);
  });

  it('validates registries per prefix', () => {
    const c = build('[image.registries."127.0.0.1:5000"]\ninsecure = true\nmirrors = ["127.0.0.1:5001"]\n');
    expect(c.image.registries['127.0.0.1:5000']).toEqual({ location: '', insecure: true, mirrors: ['127.0.0.1:5001'] });
    expect(() => build('[image.registries."docker.io"]\nmirror = ["x"]\n')).toThrow('unknown config key "image.registries.docker.io.mirror"');
  });

  it('reads the plugin selection first, naming bad keys in it', () => {
    expect(parsePluginsSection({ plugins: { runtime: '@acme/oci-kata' } }, 'f').runtime).toBe('@acme/oci-kata');
    expect(() => parsePluginsSection({ plugins: { runtme: 'x' } }, 'f')).toThrow('unknown config key "plugins.runtme"');
  });

  it('selects records and images separately, both store-fs by default', () => {
    expect(parsePluginsSection({}, 'f')).toMatchObject({ records: '@criod/store-fs', images: '@criod/store-fs' });
    expect(parsePluginsSection({ plugins: { images: '@acme/images' } }, 'f')).toMatchObject({ records: '@criod/store-fs', images: '@acme/images' });
    expect(build('').plugins).toMatchObject({ records: '@criod/store-fs', images: '@criod/store-fs' });
  });

  it('still takes the deprecated plugins.store for both, with a warning naming the new keys', () => {
    const raw = { plugins: { store: '@acme/store' } };
    const plugins = parsePluginsSection(raw, 'f');
    expect(plugins).toMatchObject({ records: '@acme/store', images: '@acme/store' });
    expect(plugins).not.toHaveProperty('store');
    expect(build('[plugins]\nstore = "@acme/store"\n').plugins).toMatchObject({ records: '@acme/store', images: '@acme/store' });
    expect(deprecatedKeyWarnings(raw)).toEqual([
      expect.stringMatching(/plugins\.store is deprecated.*set those instead \(records = "@acme\/store", images = "@acme\/store"\)/),
    ]);
    expect(deprecatedKeyWarnings({ plugins: { records: '@acme/store' } })).toEqual([]);
    expect(() => parsePluginsSection({ plugins: { store: '@acme/store', images: '@acme/images' } }, 'f')).toThrow(
      'f: bad value for config key "plugins.store": deprecated alias of plugins.records and plugins.images, which are set too: remove plugins.store',
    );
  });

  it('lets definitions that share a schema share a section, and refuses two owners of one section', () => {
    const schema = z.strictObject({ dir: z.string().default('') });
    const of = (kind: 'records' | 'images', name: string, configSchema: z.ZodType): PluginDefinition => ({
      kind,
      name,
      configSection: 'shared',
      configSchema,
      create: () => Promise.reject(new Error('unused')),
    });
    const shared = [of('records', '@acme/store:records', schema), of('images', '@acme/store:images', schema)];
    expect(buildEffectiveConfig({ shared: { dir: '/x' } }, {}, shared, 'f').shared).toEqual({ dir: '/x' });
    expect(() => buildEffectiveConfig({}, {}, [shared[0]!, of('images', '@other/images', z.strictObject({}))], 'f')).toThrow(
      'plugin @other/images claims config section [shared], which is already taken by @acme/store:records',
    );
  });
});

describe('config file', () => {
  it('treats a missing default file as built-in defaults but a missing explicit one as an error', async () => {
    expect(await readConfigFile('/nonexistent/criod.toml', false)).toEqual({});
    await expect(readConfigFile('/nonexistent/criod.toml', true)).rejects.toThrow(ConfigError);
  });

  it('reports TOML syntax errors with the position', async () => {
    const d = mkdtempSync(join(tmpdir(), 'criod-cfg-'));
    dirs.push(d);
    writeFileSync(join(d, 'bad.toml'), 'root = "/x"\n[network\n');
    await expect(readConfigFile(join(d, 'bad.toml'), true)).rejects.toThrow(/bad\.toml: invalid TOML \(line 2/);
  });
});
