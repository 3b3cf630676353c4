/**
 * Builds the plugin set from [plugins]: each entry is an npm package name whose module exports a
 * plugin definition of that entry's kind (default export, `plugin`, or any named export); one
 * package may export definitions of several kinds. Plugins are created in dependency order.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  isPluginDefinition,
  pluginKinds,
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
async function importPluginPackage(key: string, pkg: string): Promise<Record<string, unknown>> {
  try {
    return await importPackage(pkg);
  } catch (err) {
    throw new ConfigError(`${key}: cannot load plugin package "${pkg}": ${(err as Error).message.split('\n')[0]} (install it where criod can import it)`);
  }
}

/** The plugin definitions a module exports, each once, by export name: default and `plugin` first. */
export function exportedDefinitions(mod: Record<string, unknown>): Map<PluginDefinition, string> {
  const names = ['default', 'plugin', ...Object.keys(mod).filter((k) => k !== 'default' && k !== 'plugin')];
  const found = new Map<PluginDefinition, string>();
  for (const name of names) {
    const value = mod[name];
    if (isPluginDefinition(value) && !found.has(value)) found.set(value, name);
  }
  return found;
}

const describeExports = (found: Map<PluginDefinition, string>): string =>
  [...found].map(([def, name]) => `${def.kind} plugin ${name === 'default' ? '(default export)' : `\`${name}\``}`).join(', ') || 'no criod plugin definition';

/** What criod may take from a module for `kind`: its default export or `plugin` if of that kind, else every named export of that kind. */
function candidatesOfKind(found: Map<PluginDefinition, string>, kind: PluginKind): PluginDefinition[] {
  const ofKind = [...found].filter(([def]) => def.kind === kind);
  const preferred = ofKind.find(([, name]) => name === 'default' || name === 'plugin');
  return preferred ? [preferred[0]] : ofKind.map(([def]) => def);
}

/**
 * The package's definition of `kind`: its default export or `plugin` if of that kind, else its
 * one named export of that kind. None, or several named ones, is a config error naming the exports.
 */
export function definitionOfKind(key: string, pkg: string, mod: Record<string, unknown>, kind: PluginKind): PluginDefinition {
  const found = exportedDefinitions(mod);
  const candidates = candidatesOfKind(found, kind);
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length > 1) {
    throw new ConfigError(
      `${key}: package "${pkg}" exports several ${kind} plugin definitions (${describeExports(found)}): export the one to use as default or \`plugin\``,
    );
  }
  const legacy = Object.values(mod).some((v) => (v as { kind?: unknown } | null)?.kind === 'store');
  throw new ConfigError(
    `${key}: package "${pkg}" exports no ${kind} plugin definition (it exports ${describeExports(found)})` +
      (legacy ? '; it is a plugin of the former kind "store", now split into "records" and "images"' : ''),
  );
}

/** Import every selected package and take its definition of the kind the key selects. */
export async function loadPluginDefinitions(selection: PluginsConfig): Promise<SelectedPlugin[]> {
  const wanted: { key: string; kind: PluginKind; pkg: string }[] = [
    { key: 'plugins.records', kind: 'records', pkg: selection.records },
    { key: 'plugins.images', kind: 'images', pkg: selection.images },
    { key: 'plugins.namespace', kind: 'namespace', pkg: selection.namespace },
    { key: 'plugins.network', kind: 'network', pkg: selection.network },
    { key: 'plugins.runtime', kind: 'runtime', pkg: selection.runtime },
    ...selection.security.map((pkg, i) => ({ key: `plugins.security[${i}]`, kind: 'security' as const, pkg })),
  ];
  const out: SelectedPlugin[] = [];
  for (const w of wanted) out.push({ ...w, definition: definitionOfKind(w.key, w.pkg, await importPluginPackage(w.key, w.pkg), w.kind) });
  return out;
}

/** The plugins the config reference documents: the bundled ones, then any other the config selects. */
export async function documentedPlugins(selected: SelectedPlugin[]): Promise<DocumentedPlugin[]> {
  const out: DocumentedPlugin[] = [];
  for (const pkg of bundledPluginPackages) {
    // What criod would load from it for each kind, not every definition it re-exports.
    const mod = await importPluginPackage('bundled plugin', pkg);
    const found = exportedDefinitions(mod);
    const kinds = pluginKinds.filter((kind) => candidatesOfKind(found, kind).length > 0);
    if (kinds.length === 0) throw new ConfigError(`bundled plugin: package "${pkg}" exports no criod plugin definition`);
    out.push({ pkg, definitions: kinds.map((kind) => definitionOfKind('bundled plugin', pkg, mod, kind)) });
  }
  for (const { pkg, definition } of selected) {
    if (bundledPluginPackages.includes(pkg)) continue;
    const known = out.find((p) => p.pkg === pkg);
    if (!known) out.push({ pkg, definitions: [definition] });
    else if (!known.definitions.includes(definition)) known.definitions.push(definition);
  }
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
            if (!p) throw new Error(`plugin ${definition.name} asked for the ${k} plugin, which it did not declare in requires`);
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
  const all = [set.runtime, set.network, set.namespace, set.images, set.records, ...set.security];
  await Promise.allSettled(all.map(async (p) => p.close?.()));
}
