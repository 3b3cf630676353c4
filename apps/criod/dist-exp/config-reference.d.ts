import type { PluginDefinition } from '@criod/core';
export interface ConfigKeyDoc {
  /** Dotted TOML key, e.g. `image.registries."<prefix>".insecure`. */
  key: string;
  type: string;
  /** The value an omitted key takes (inline TOML), `unset`, `required`, or '' for a table whose keys follow. */
  default: string;
  description: string;
}
/** A plugin as the reference shows it: the package that provides it and its definition. */
export interface DocumentedPlugin {
  pkg: string;
  definition: PluginDefinition;
}
/** Every key of the daemon's own part of the config. */
export declare function daemonKeyDocs(): ConfigKeyDoc[];
/** Every key of a plugin's section, prefixed with the section name. */
export declare function pluginKeyDocs(definition: PluginDefinition): ConfigKeyDoc[];
export declare function renderKeyTable(rows: ConfigKeyDoc[]): string;
/** The whole reference: the daemon's keys, then one table per plugin section. */
export declare function renderConfigReference(plugins: DocumentedPlugin[]): string;
/**
 * Rewrite the generated blocks of a Markdown file: `<!-- config-reference:start -->` gets the
 * whole reference, `<!-- config-reference:start <package> -->` that plugin's table only.
 */
export declare function spliceConfigReference(markdown: string, plugins: DocumentedPlugin[]): string;
//# sourceMappingURL=config-reference.d.ts.map
