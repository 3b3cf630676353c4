/**
 * Builds the plugin set from [plugins]: each entry is an npm package name whose module exports a
 * plugin definition (default export or `plugin`). Plugins are created in dependency order.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  isPluginDefinition,
  type Logger,
  type OperationObserver,
  type PluginDefinition,
  type PluginInstances,
  type PluginKind,
  type PluginSet,
  type SecurityPlugin,
} from '@criod/core';
import { ConfigError, type EffectiveConfig, type PluginsConfig } from './config.js';
import type { DocumentedPlugin } from './config-reference.js';
import { inDependencyOrder } from './plugin-order.js';

/**
 * Plugin packages that ship with criod (its dependencies), selected or not: `criod config
 * --reference` documents them all, plus any other package the config selects. Imported by
 * literal name so the bundle (scripts/bundle.mjs) carries each as a chunk loaded when selected.
 */
const bundledPlugins: Readonly<Record<string, () => Promise<Record<string, unknown>>>> = {
  '@criod/store-fs': () => import('@criod/store-fs'),
  '@criod/net-netns': () => import('@criod/net-netns'),
  '@criod/net-cni': () => import('@criod/net-cni'),
  '@criod/net-veth': () => import('@criod/net-veth'),
  '@criod/oci-runc': () => import('@criod/oci-runc'),
  '@criod/sec-seccomp': () => import('@criod/sec-seccomp'),
  '@criod/sec-apparmor': () => import('@criod/sec-apparmor'),
  '@criod/sec-selinux': () => import('@criod/sec-selinux'),
};

export const bundledPluginPackages: readonly string[] = Object.keys(bundledPlugins);

async function importPackage(name: string): Promise<Record<string, unknown>> {
  const bundled = bundledPlugins[name];
  if (bundled) return bundled();
  try {
    return (await import(name)) as Record<string, unknown>;
  } catch (first) {
    // Not a dependency of criod itself: look next to the working directory, where an operator
    // would `npm install @acme/criod-plugin`.
    try {
      const resolved = createRequire(join(process.cwd(), 'noop.js')).resolve(name);
      return (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
    } catch {
      throw first;
    }
  }
}

export interface SelectedPlugin {
  /** Config key that selected it, e.g. "plugins.runtime" or "plugins.security[1]". */
  key: string;
  kind: PluginKind;
  /** The package name the key gave. */
  pkg: string;
  definition: PluginDefinition;
}

/** Import a plugin package; `key` is the config key that named it, for the error message. */
async function importPluginDefinition(key: string, pkg: string): Promise<PluginDefinition> {
  let mod: Record<string, unknown>;
  try {
    mod = await importPackage(pkg);
  } catch (err) {
    throw new ConfigError(`${key}: cannot load plugin package "${pkg}": ${(err as Error).message.split('\n')[0]} (install it where criod can import it)`);
  }
  const definition = [mod.default, mod.plugin].find(isPluginDefinition);
  if (!definition) throw new ConfigError(`${key}: package "${pkg}" does not export a criod plugin definition (default export or \`plugin\`)`);
  return definition;
}

/** Import every selected package and check it exports a definition of the expected kind. */
export async function loadPluginDefinitions(selection: PluginsConfig): Promise<SelectedPlugin[]> {
  const wanted: { key: string; kind: PluginKind; pkg: string }[] = [
    { key: 'plugins.store', kind: 'store', pkg: selection.store },
    { key: 'plugins.namespace', kind: 'namespace', pkg: selection.namespace },
    { key: 'plugins.network', kind: 'network', pkg: selection.network },
    { key: 'plugins.runtime', kind: 'runtime', pkg: selection.runtime },
    ...selection.security.map((pkg, i) => ({ key: `plugins.security[${i}]`, kind: 'security' as const, pkg })),
  ];
  const out: SelectedPlugin[] = [];
  for (const w of wanted) {
    const definition = await importPluginDefinition(w.key, w.pkg);
    if (definition.kind !== w.kind) throw new ConfigError(`${w.key}: package "${w.pkg}" is a ${definition.kind} plugin, not a ${w.kind} plugin`);
    out.push({ ...w, definition });
  }
  return out;
}

/** The plugins the config reference documents: the bundled ones, then any other the config selects. */
export async function documentedPlugins(selected: SelectedPlugin[]): Promise<DocumentedPlugin[]> {
  const out: DocumentedPlugin[] = [];
  for (const pkg of bundledPluginPackages) out.push({ pkg, definition: await importPluginDefinition('bundled plugin', pkg) });
  for (const { pkg, definition } of selected) if (!bundledPluginPackages.includes(pkg)) out.push({ pkg, definition });
  return out;
}

/**
 * Create the plugins in dependency order (inDependencyOrder); a failure names the plugin and
 * closes the ones already made.
 */
export async function createPlugins(selected: SelectedPlugin[], config: EffectiveConfig, logger: Logger, observe?: OperationObserver): Promise<PluginSet> {
  const ordered = inDependencyOrder(selected);
  const created: Partial<Record<Exclude<PluginKind, 'security'>, PluginInstances[PluginKind]>> = {};
  const security: SecurityPlugin[] = [];
  const all: { close?(): Promise<void> }[] = [];
  try {
    for (const { kind, definition } of ordered) {
      let instance: PluginInstances[PluginKind];
      try {
        instance = await definition.create({
          config: config[definition.configSection],
          root: config.root,
          runroot: config.runroot,
          logger: logger.child({ plugin: definition.name }),
          observe,
          get: <K extends PluginKind>(k: K) => {
            const p = definition.requires?.includes(k) ? created[k as Exclude<PluginKind, 'security'>] : undefined;
            if (!p) throw new Error(`plugin ${definition.name} asked for a ${k} plugin it did not declare in requires`);
            return p as PluginInstances[K];
          },
        });
      } catch (err) {
        throw new Error(`plugin ${definition.name} (${kind}) failed to start: ${(err as Error).message}`, { cause: err });
      }
      all.push(instance);
      if (kind === 'security') security.push(instance as SecurityPlugin);
      else created[kind] = instance;
    }
  } catch (err) {
    await Promise.allSettled(all.map(async (p) => p.close?.()));
    throw err;
  }
  return { ...(created as Omit<PluginSet, 'security'>), security };
}

export async function closePlugins(set: PluginSet): Promise<void> {
  const all = [set.runtime, set.network, set.namespace, set.store, ...set.security];
  await Promise.allSettled(all.map(async (p) => p.close?.()));
}
