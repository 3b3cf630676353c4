/**
 * Builds the plugin set from [plugins]: each entry is an npm package name whose module exports a
 * plugin definition (default export or `plugin`). Plugins are created in dependency order.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isPluginDefinition } from '@criod/core';
import { ConfigError } from './config.js';
import { inDependencyOrder } from './plugin-order.js';
const staticLoaders = {
  '@criod/store-fs': () => import('@criod/store-fs'),
  '@criod/net-netns': () => import('@criod/net-netns'),
  '@criod/net-cni': () => import('@criod/net-cni'),
  '@criod/net-veth': () => import('@criod/net-veth'),
  '@criod/oci-runc': () => import('@criod/oci-runc'),
  '@criod/sec-seccomp': () => import('@criod/sec-seccomp'),
  '@criod/sec-apparmor': () => import('@criod/sec-apparmor'),
  '@criod/sec-selinux': () => import('@criod/sec-selinux'),
};
async function importPackage(name) {
  if (staticLoaders[name]) return staticLoaders[name]();
  try {
    return await import(name);
  } catch (first) {
    // Not a dependency of criod itself: look next to the working directory, where an operator
    // would `npm install @acme/criod-plugin`.
    try {
      const resolved = createRequire(join(process.cwd(), 'noop.js')).resolve(name);
      return await import(pathToFileURL(resolved).href);
    } catch {
      throw first;
    }
  }
}
/**
 * Plugin packages that ship with criod (its dependencies), selected or not: `criod config
 * --reference` documents them all, plus any other package the config selects.
 */
export const bundledPluginPackages = [
  '@criod/store-fs',
  '@criod/net-netns',
  '@criod/net-cni',
  '@criod/net-veth',
  '@criod/oci-runc',
  '@criod/sec-seccomp',
  '@criod/sec-apparmor',
  '@criod/sec-selinux',
];
/** Import a plugin package; `key` is the config key that named it, for the error message. */
async function importPluginDefinition(key, pkg) {
  let mod;
  try {
    mod = await importPackage(pkg);
  } catch (err) {
    throw new ConfigError(`${key}: cannot load plugin package "${pkg}": ${err.message.split('\n')[0]} (install it where criod can import it)`);
  }
  const definition = [mod.default, mod.plugin].find(isPluginDefinition);
  if (!definition) throw new ConfigError(`${key}: package "${pkg}" does not export a criod plugin definition (default export or \`plugin\`)`);
  return definition;
}
/** Import every selected package and check it exports a definition of the expected kind. */
export async function loadPluginDefinitions(selection) {
  const wanted = [
    { key: 'plugins.store', kind: 'store', pkg: selection.store },
    { key: 'plugins.namespace', kind: 'namespace', pkg: selection.namespace },
    { key: 'plugins.network', kind: 'network', pkg: selection.network },
    { key: 'plugins.runtime', kind: 'runtime', pkg: selection.runtime },
    ...selection.security.map((pkg, i) => ({ key: `plugins.security[${i}]`, kind: 'security', pkg })),
  ];
  const out = [];
  for (const w of wanted) {
    const definition = await importPluginDefinition(w.key, w.pkg);
    if (definition.kind !== w.kind) throw new ConfigError(`${w.key}: package "${w.pkg}" is a ${definition.kind} plugin, not a ${w.kind} plugin`);
    out.push({ ...w, definition });
  }
  return out;
}
/** The plugins the config reference documents: the bundled ones, then any other the config selects. */
export async function documentedPlugins(selected) {
  const out = [];
  for (const pkg of bundledPluginPackages) out.push({ pkg, definition: await importPluginDefinition('bundled plugin', pkg) });
  for (const { pkg, definition } of selected) if (!bundledPluginPackages.includes(pkg)) out.push({ pkg, definition });
  return out;
}
/**
 * Create the plugins in dependency order (inDependencyOrder); a failure names the plugin and
 * closes the ones already made.
 */
export async function createPlugins(selected, config, logger, observe) {
  const ordered = inDependencyOrder(selected);
  const created = {};
  const security = [];
  const all = [];
  try {
    for (const { kind, definition } of ordered) {
      let instance;
      try {
        instance = await definition.create({
          config: config[definition.configSection],
          root: config.root,
          runroot: config.runroot,
          logger: logger.child({ plugin: definition.name }),
          observe,
          get: (k) => {
            const p = definition.requires?.includes(k) ? created[k] : undefined;
            if (!p) throw new Error(`plugin ${definition.name} asked for a ${k} plugin it did not declare in requires`);
            return p;
          },
        });
      } catch (err) {
        throw new Error(`plugin ${definition.name} (${kind}) failed to start: ${err.message}`, { cause: err });
      }
      all.push(instance);
      if (kind === 'security') security.push(instance);
      else created[kind] = instance;
    }
  } catch (err) {
    await Promise.allSettled(all.map(async (p) => p.close?.()));
    throw err;
  }
  return { ...created, security };
}
export async function closePlugins(set) {
  const all = [set.runtime, set.network, set.namespace, set.store, ...set.security];
  await Promise.allSettled(all.map(async (p) => p.close?.()));
}
//# sourceMappingURL=plugins.js.map
