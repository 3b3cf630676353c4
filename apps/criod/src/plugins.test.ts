import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CriService, definePlugin, silentLogger, type PluginKind, type PluginInstances } from '@criod/core';
import { fakePluginSet, MemoryImageStore, testContainerConfig, testImage, testPodConfig } from '@criod/core/testing';
import * as storeFs from '@criod/store-fs';
import { z } from 'zod';
import { buildEffectiveConfig, ConfigError, pluginsSchema, type EffectiveConfig } from './config.js';
import { inDependencyOrder } from './plugin-order.js';
import { closePlugins, createPlugins, definitionOfKind, loadPluginDefinitions, type SelectedPlugin } from './plugins.js';

/** A plugin of `kind` that records when it was created, returning a fake of its kind. */
function selected(kind: PluginKind, requires: PluginKind[], created: string[] = [], index = 0): SelectedPlugin {
  const name = `@test/${kind}${kind === 'security' ? index : ''}`;
  const fakes = fakePluginSet();
  const definition = definePlugin({
    kind,
    name,
    configSection: kind,
    configSchema: z.strictObject({}),
    requires,
    async create(ctx) {
      for (const dep of requires) ctx.get(dep);
      created.push(name);
      return (kind === 'security' ? fakes.security[0] : fakes[kind]) as PluginInstances[typeof kind];
    },
  });
  return { key: kind === 'security' ? `plugins.security[${index}]` : `plugins.${kind}`, kind, pkg: name, definition };
}

const config = { root: '/nonexistent', runroot: '/nonexistent' } as unknown as EffectiveConfig;

describe('plugin dependency order', () => {
  it('creates each plugin after the kinds it requires, whatever order the config lists them in', async () => {
    const created: string[] = [];
    const plugins = [
      selected('security', ['runtime'], created, 0),
      selected('records', ['runtime'], created),
      selected('images', ['records'], created),
      selected('namespace', [], created),
      selected('network', ['namespace'], created),
      selected('runtime', ['network'], created),
    ];
    const set = await createPlugins(plugins, config, silentLogger);
    expect(created).toEqual(['@test/namespace', '@test/network', '@test/runtime', '@test/security0', '@test/records', '@test/images']);
    expect(set.security).toHaveLength(1);
  });

  it('keeps the config order among plugins that do not depend on each other', () => {
    const plugins = [selected('images', []), selected('namespace', []), selected('security', [], [], 0), selected('security', ['images'], [], 1)];
    expect(inDependencyOrder(plugins).map((p) => p.key)).toEqual(['plugins.images', 'plugins.namespace', 'plugins.security[0]', 'plugins.security[1]']);
  });

  it('refuses a cycle, naming every plugin in it', async () => {
    const plugins = [selected('records', []), selected('network', ['runtime']), selected('runtime', ['namespace']), selected('namespace', ['network'])];
    await expect(createPlugins(plugins, config, silentLogger)).rejects.toThrow(
      'plugins require each other in a cycle: @test/network (plugins.network) → @test/runtime (plugins.runtime) → @test/namespace (plugins.namespace) → @test/network (plugins.network)',
    );
  });

  it('refuses a plugin that requires itself', () => {
    expect(() => inDependencyOrder([selected('records', ['records'])])).toThrow('cycle: @test/records (plugins.records) → @test/records (plugins.records)');
  });

  it('names a required kind nobody provides', () => {
    expect(() => inDependencyOrder([selected('runtime', ['network'])])).toThrow(
      'plugin @test/runtime (plugins.runtime) requires the network plugin, but none is selected: set plugins.network',
    );
    expect(() => inDependencyOrder([selected('runtime', ['security']), selected('security', [])])).toThrow(
      'requires a security plugin, which cannot be required',
    );
  });

  it('hands a plugin only the kinds it declared', async () => {
    const sneaky = selected('runtime', []);
    const create = sneaky.definition.create.bind(sneaky.definition);
    sneaky.definition = { ...sneaky.definition, create: (ctx) => (ctx.get('images'), create(ctx)) };
    await expect(createPlugins([selected('images', []), sneaky], config, silentLogger)).rejects.toThrow(
      'asked for the images plugin, which it did not declare in requires',
    );
  });
});

/** A definition of `kind` as a third-party package would export it. */
function definitionOf(kind: PluginKind, name: string) {
  return definePlugin({
    kind,
    name,
    configSection: name.replace(/\W/g, '_'),
    configSchema: z.strictObject({}),
    create: () => Promise.reject(new Error(`${name} is not meant to be created`)),
  });
}

describe('plugin packages', () => {
  const dirs: string[] = [];
  const tempDir = (prefix: string) => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('takes the records and the images plugin from the named exports of store-fs by default', async () => {
    const chosen = new Map((await loadPluginDefinitions(pluginsSchema.parse({}))).map((s) => [s.key, s.definition]));
    expect(chosen.get('plugins.records')).toBe(storeFs.records);
    expect(chosen.get('plugins.images')).toBe(storeFs.images);
  });

  it("picks a package's definition of the wanted kind: default export, then `plugin`, then its one named export of that kind", () => {
    const a = definitionOf('images', '@test/a');
    const b = definitionOf('images', '@test/b');
    const records = definitionOf('records', '@test/records');
    expect(definitionOfKind('plugins.images', '@test/x', { default: a, extra: b }, 'images')).toBe(a);
    expect(definitionOfKind('plugins.images', '@test/x', { plugin: a, extra: b }, 'images')).toBe(a);
    expect(definitionOfKind('plugins.images', '@test/x', { default: records, images: b }, 'images')).toBe(b);
    expect(definitionOfKind('plugins.records', '@test/x', { default: records, images: b }, 'records')).toBe(records);
  });

  it('names the exports of a package that has no definition of the wanted kind, or several', () => {
    const records = definitionOf('records', '@test/records');
    const check = (mod: Record<string, unknown>, message: string) => {
      expect(() => definitionOfKind('plugins.images', '@test/x', mod, 'images')).toThrow(ConfigError);
      expect(() => definitionOfKind('plugins.images', '@test/x', mod, 'images')).toThrow(message);
    };
    check({ records, helper: () => 1 }, 'plugins.images: package "@test/x" exports no images plugin definition (it exports records plugin `records`)');
    check({ version: '1' }, 'plugins.images: package "@test/x" exports no images plugin definition (it exports no criod plugin definition)');
    check(
      { plugin: { ...records, kind: 'store' } },
      'exports no images plugin definition (it exports no criod plugin definition); it is a plugin of the former kind "store", now split into "records" and "images"',
    );
    check(
      { one: definitionOf('images', '@test/one'), two: definitionOf('images', '@test/two') },
      'plugins.images: package "@test/x" exports several images plugin definitions (images plugin `one`, images plugin `two`): export the one to use as default or `plugin`',
    );
  });

  it('builds a set whose records come from store-fs and whose images come from another package', async () => {
    const root = tempDir('criod-split-root-');
    const runroot = tempDir('criod-split-run-');
    const images = new MemoryImageStore();
    images.registry.set('example.test/busybox:latest', testImage());
    const imagesPackage = {
      images: definePlugin({
        kind: 'images',
        name: '@test/images-memory',
        configSection: 'images_memory',
        configSchema: z.strictObject({}),
        create: () => Promise.resolve(images),
      }),
    };
    const chosen: SelectedPlugin[] = [
      {
        key: 'plugins.records',
        kind: 'records',
        pkg: '@criod/store-fs',
        definition: definitionOfKind('plugins.records', '@criod/store-fs', storeFs, 'records'),
      },
      {
        key: 'plugins.images',
        kind: 'images',
        pkg: '@test/images-memory',
        definition: definitionOfKind('plugins.images', '@test/images-memory', imagesPackage, 'images'),
      },
      selected('namespace', []),
      selected('network', []),
      selected('runtime', []),
    ];
    const effective = buildEffectiveConfig(
      { root, runroot },
      {},
      chosen.map((c) => c.definition),
      'test',
    );
    const set = await createPlugins(chosen, effective, silentLogger);
    const core = new CriService(set, silentLogger, { runtimeVersion: 't', runroot });
    try {
      expect(set.records.name).toBe('@criod/store-fs:records');
      expect(set.images).toBe(images);
      await core.images.pull('example.test/busybox:latest');
      const podId = await core.runPodSandbox(testPodConfig(), '');
      const containerId = await core.createContainer(podId, testContainerConfig());
      expect(readdirSync(join(root, 'pods'))).toEqual([`${podId}.json`]);
      expect(readdirSync(join(root, 'containers'))).toEqual([`${containerId}.json`]);
      expect(images.rootfs.has(containerId)).toBe(true);
      expect(existsSync(join(root, 'images')), 'store-fs made no image store of its own').toBe(false);
      await core.removePodSandbox(podId);
      expect(readdirSync(join(root, 'pods'))).toEqual([]);
      expect(images.rootfs.size).toBe(0);
    } finally {
      for (const pod of core.listPodSandbox()) await core.removePodSandbox(pod.id);
      await closePlugins(set);
    }
  });
});
