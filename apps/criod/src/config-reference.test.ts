import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePlugin, type PluginDefinition } from '@criod/core';
import { FakeNetwork } from '@criod/core/testing';
import { pluginsSchema } from './config.js';
import { daemonKeyDocs, pluginKeyDocs, renderConfigReference, spliceConfigReference, type DocumentedPlugin } from './config-reference.js';
import { staleConfigReferences } from './docs-config.js';
import { bundledPluginPackages, documentedPlugins, exportedDefinitions } from './plugins.js';

function networkPlugin(configSchema: z.ZodType): PluginDefinition {
  return definePlugin({
    kind: 'network',
    name: '@acme/net-test',
    configSection: 'network',
    configSchema,
    async create() {
      return new FakeNetwork();
    },
  }) as PluginDefinition;
}

const acme = networkPlugin(
  z.strictObject({
    mode: z.enum(['fast', 'safe']).default('safe').describe('how | fast'),
    timeout_ms: z.number().int().positive().describe('before the default').default(500),
    bridges: z
      .record(
        z.string().meta({ title: 'bridge' }),
        z.strictObject({ mtu: z.number().int().default(1500).describe('MTU of the bridge.'), cidr: z.string().describe('Subnet.') }),
      )
      .default({})
      .describe('Bridges by name.'),
    pools: z
      .array(z.strictObject({ first: z.string().describe('First address.') }))
      .default([])
      .describe('Address pools.'),
    note: z.string().optional().describe('A note.'),
    nested: z
      .strictObject({ depth: z.number().default(2).describe('Depth.') })
      .prefault({})
      .describe('A nested table.'),
  }),
);

describe('config reference', () => {
  it('documents every key of the daemon and of every bundled plugin', async () => {
    const docs = [...daemonKeyDocs(), ...(await documentedPlugins([])).flatMap((p) => p.definitions.flatMap(pluginKeyDocs))];
    expect(docs.length).toBeGreaterThan(30);
    const undocumented = docs.filter((d) => d.description.trim() === '').map((d) => d.key);
    expect(undocumented, 'every config key needs a .describe() saying what it does, its units and accepted values').toEqual([]);
  });

  it('keeps the READMEs in step with the schemas', async () => {
    const stale = await staleConfigReferences(false);
    expect(stale, 'the generated config reference differs from the schemas: run `pnpm docs:config`').toEqual([]);
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain('<!-- config-reference:start -->');
  });

  it('bundles every plugin package criod depends on and every default', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
    const plugins: string[] = [];
    for (const name of Object.keys(pkg.dependencies).filter((n) => n.startsWith('@criod/'))) {
      const mod = (await import(name)) as Record<string, unknown>;
      if (exportedDefinitions(mod).size > 0) plugins.push(name);
    }
    expect(
      plugins.filter((p) => !bundledPluginPackages.includes(p)),
      'add it to bundledPluginPackages',
    ).toEqual([]);
    const defaults = pluginsSchema.parse({});
    for (const p of [defaults.records, defaults.images, defaults.namespace, defaults.network, defaults.runtime, ...defaults.security])
      expect(bundledPluginPackages).toContain(p);
  });

  it('reads types, defaults and descriptions from the schema', () => {
    expect(pluginKeyDocs(acme)).toEqual([
      { key: 'network.mode', type: '"fast" or "safe"', default: '"safe"', description: 'how | fast' },
      { key: 'network.timeout_ms', type: 'integer', default: '500', description: 'before the default' },
      { key: 'network.bridges', type: 'table', default: '{}', description: 'Bridges by name.' },
      { key: 'network.bridges."<bridge>".mtu', type: 'integer', default: '1500', description: 'MTU of the bridge.' },
      { key: 'network.bridges."<bridge>".cidr', type: 'string', default: 'required', description: 'Subnet.' },
      { key: 'network.pools', type: 'array of table', default: '[]', description: 'Address pools.' },
      { key: 'network.pools[].first', type: 'string', default: 'required', description: 'First address.' },
      { key: 'network.note', type: 'string', default: 'unset', description: 'A note.' },
      { key: 'network.nested', type: 'table', default: '', description: 'A nested table.' },
      { key: 'network.nested.depth', type: 'number', default: '2', description: 'Depth.' },
    ]);
  });

  it('takes defaults from parsing an empty section, so a table default wins over its keys', () => {
    const plugin = networkPlugin(
      z.strictObject({
        handlers: z
          .record(z.string(), z.strictObject({ path: z.string().default('runc').describe('Binary.') }))
          .default({ runc: { path: '/usr/bin/runc' } })
          .describe('Handlers.'),
        limits: z
          .strictObject({ max: z.number().default(1).describe('Max.') })
          .default({ max: 7 })
          .describe('Limits.'),
      }),
    );
    expect(pluginKeyDocs(plugin).map((d) => [d.key, d.default])).toEqual([
      ['network.handlers', '{ runc = { path = "/usr/bin/runc" } }'],
      ['network.handlers."<name>".path', '"runc"'],
      ['network.limits', ''],
      ['network.limits.max', '7'],
    ]);
  });

  it('refuses a plugin whose config schema is not a table', () => {
    expect(() => pluginKeyDocs(networkPlugin(z.string().default('x')))).toThrow('plugin @acme/net-test: its config schema is a string, not an object schema');
  });

  it('renders Markdown with escaped pipes and a heading per plugin', () => {
    const text = renderConfigReference([{ pkg: '@acme/net-test', definitions: [acme] }]);
    expect(text).toContain('| `log_level` |');
    expect(text).toContain('### `[network]` of @acme/net-test\n\nThe network plugin @acme/net-test, selected by `plugins.network = "@acme/net-test"`.');
    expect(text).toContain('| `network.mode` | "fast" or "safe" | `"safe"` | how \\| fast |');
  });

  it('splices the whole reference or one plugin table between the markers', () => {
    const plugins: DocumentedPlugin[] = [{ pkg: '@acme/net-test', definitions: [acme] }];
    const md =
      'intro\n<!-- config-reference:start @acme/net-test -->\nold\n<!-- config-reference:end -->\nprose\n<!-- config-reference:start -->\n<!-- config-reference:end -->\n';
    const out = spliceConfigReference(md, plugins);
    expect(out).toMatch(
      /^intro\n<!-- config-reference:start @acme\/net-test -->\n\| key \| type \| default \| description \|\n[^#]*\| `network.nested.depth` [^\n]*\n<!-- config-reference:end -->\nprose\n<!-- config-reference:start -->\n### criod\n/,
    );
    expect(spliceConfigReference(out, plugins)).toBe(out);
    expect(() => spliceConfigReference('<!-- config-reference:start @acme/other -->\n<!-- config-reference:end -->', plugins)).toThrow(/names @acme\/other/);
  });
});
