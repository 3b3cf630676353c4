import { type Logger, type OperationObserver, type PluginDefinition, type PluginKind, type PluginSet } from '@criod/core';
import { type EffectiveConfig, type PluginsConfig } from './config.js';
import type { DocumentedPlugin } from './config-reference.js';
/**
 * Plugin packages that ship with criod (its dependencies), selected or not: `criod config
 * --reference` documents them all, plus any other package the config selects.
 */
export declare const bundledPluginPackages: readonly string[];
export interface SelectedPlugin {
  /** Config key that selected it, e.g. "plugins.runtime" or "plugins.security[1]". */
  key: string;
  kind: PluginKind;
  /** The package name the key gave. */
  pkg: string;
  definition: PluginDefinition;
}
/** Import every selected package and check it exports a definition of the expected kind. */
export declare function loadPluginDefinitions(selection: PluginsConfig): Promise<SelectedPlugin[]>;
/** The plugins the config reference documents: the bundled ones, then any other the config selects. */
export declare function documentedPlugins(selected: SelectedPlugin[]): Promise<DocumentedPlugin[]>;
/**
 * Create the plugins in dependency order (inDependencyOrder); a failure names the plugin and
 * closes the ones already made.
 */
export declare function createPlugins(selected: SelectedPlugin[], config: EffectiveConfig, logger: Logger, observe?: OperationObserver): Promise<PluginSet>;
export declare function closePlugins(set: PluginSet): Promise<void>;
//# sourceMappingURL=plugins.d.ts.map
