/**
 * @criod/net-cni: the CNI network plugin of criod.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { definePlugin } from '@criod/core';
import { configSchema, type NetCniConfig } from './config.js';
import { CniNetwork, PLUGIN_NAME } from './network.js';

export { configSchema, type NetCniConfig, type IpRange } from './config.js';
export { CniNetwork, type CniNetworkOptions, IF_NAME, PLUGIN_NAME, RENDERED_CONF } from './network.js';
export { renderTemplate, podCidrData, type TemplateData } from './template.js';
export { loadNetwork, listConfFiles, parseNetworkConf, type LoadResult, type LoadedNetwork, type NetworkConfList, type PluginConf } from './confload.js';
export { readCache, cachePath, type CacheEntry, type CacheRead } from './cache.js';
export { resultIps } from './result.js';

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

export const plugin = definePlugin<'network', NetCniConfig>({
  kind: 'network',
  name: PLUGIN_NAME,
  configSection: 'network',
  configSchema,
  async create(ctx) {
    const cfg = ctx.config;
    const present = [];
    for (const dir of cfg.plugin_dirs) if (await isDir(dir)) present.push(dir);
    if (present.length === 0) {
      throw new Error(
        `no CNI plugin dir exists (looked in ${cfg.plugin_dirs.join(', ')}); install the CNI plugins ` +
          `(Debian/Ubuntu: apt-get install containernetworking-plugins) or set [network] plugin_dirs`,
      );
    }
    const cacheDir = cfg.cache_dir || join(ctx.root, 'cni', 'cache');
    await mkdir(cacheDir, { recursive: true, mode: 0o700 });
    const net = new CniNetwork({
      confDir: cfg.conf_dir,
      pluginDirs: cfg.plugin_dirs,
      cacheDir,
      defaultNetwork: cfg.default_network,
      timeoutMs: Math.round(cfg.plugin_timeout_seconds * 1000),
      ipRanges: cfg.ip_ranges,
      logger: ctx.logger,
      confTemplate: cfg.conf_template,
      observe: ctx.observe,
    });
    await net.start();
    return net;
  },
});

export default plugin;
