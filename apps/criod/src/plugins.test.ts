import { describe, expect, it } from 'vitest';
import { definePlugin, silentLogger, type PluginKind, type PluginInstances } from '@criod/core';
import { fakePluginSet } from '@criod/core/testing';
import { z } from 'zod';
import type { EffectiveConfig } from './config.js';
import { inDependencyOrder } from './plugin-order.js';
import { createPlugins, type SelectedPlugin } from './plugins.js';

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
      selected('store', ['runtime'], created),
      selected('namespace', [], created),
      selected('network', ['namespace'], created),
      selected('runtime', ['network'], created),
    ];
    const set = await createPlugins(plugins, config, silentLogger);
    expect(created).toEqual(['@test/namespace', '@test/network', '@test/runtime', '@test/security0', '@test/store']);
    expect(set.security).toHaveLength(1);
  });

  it('keeps the config order among plugins that do not depend on each other', () => {
    const plugins = [selected('store', []), selected('namespace', []), selected('security', [], [], 0), selected('security', ['store'], [], 1)];
    expect(inDependencyOrder(plugins).map((p) => p.key)).toEqual(['plugins.store', 'plugins.namespace', 'plugins.security[0]', 'plugins.security[1]']);
  });

  it('refuses a cycle, naming every plugin in it', async () => {
    const plugins = [selected('store', []), selected('network', ['runtime']), selected('runtime', ['namespace']), selected('namespace', ['network'])];
    await expect(createPlugins(plugins, config, silentLogger)).rejects.toThrow(
      'plugins require each other in a cycle: @test/network (plugins.network) → @test/runtime (plugins.runtime) → @test/namespace (plugins.namespace) → @test/network (plugins.network)',
    );
  });

  it('refuses a plugin that requires itself', () => {
    expect(() => inDependencyOrder([selected('store', ['store'])])).toThrow('cycle: @test/store (plugins.store) → @test/store (plugins.store)');
  });

  it('names a required kind nobody provides', () => {
    expect(() => inDependencyOrder([selected('runtime', ['network'])])).toThrow(
      'plugin @test/runtime (plugins.runtime) requires a network plugin, but none is selected: set plugins.network',
    );
    expect(() => inDependencyOrder([selected('runtime', ['security']), selected('security', [])])).toThrow(
      'requires a security plugin, which cannot be required',
    );
  });

  it('hands a plugin only the kinds it declared', async () => {
    const sneaky = selected('runtime', []);
    const create = sneaky.definition.create.bind(sneaky.definition);
    sneaky.definition = { ...sneaky.definition, create: (ctx) => (ctx.get('store'), create(ctx)) };
    await expect(createPlugins([selected('store', []), sneaky], config, silentLogger)).rejects.toThrow(
      'asked for a store plugin it did not declare in requires',
    );
  });
});
