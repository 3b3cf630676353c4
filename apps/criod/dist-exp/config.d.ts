import { z } from 'zod';
import { type PluginDefinition } from '@criod/core';
export declare const defaultConfigPath = '/etc/criod/criod.toml';
/** The [plugins] section: an npm package name per kind, so third-party packages can be chosen. */
export declare const pluginsSchema: z.ZodObject<
  {
    store: z.ZodDefault<z.ZodString>;
    namespace: z.ZodDefault<z.ZodString>;
    network: z.ZodDefault<z.ZodString>;
    runtime: z.ZodDefault<z.ZodString>;
    security: z.ZodDefault<z.ZodArray<z.ZodString>>;
  },
  z.core.$strict
>;
export type PluginsConfig = z.infer<typeof pluginsSchema>;
/** Keys owned by the daemon itself; plugin sections are added to these at load time. */
export declare const daemonShape: {
  log_level: z.ZodDefault<
    z.ZodEnum<{
      fatal: 'fatal';
      error: 'error';
      warn: 'warn';
      info: 'info';
      debug: 'debug';
      trace: 'trace';
    }>
  >;
  listen: z.ZodDefault<z.ZodString>;
  root: z.ZodDefault<z.ZodString>;
  runroot: z.ZodDefault<z.ZodString>;
  plugins: z.ZodPrefault<
    z.ZodObject<
      {
        store: z.ZodDefault<z.ZodString>;
        namespace: z.ZodDefault<z.ZodString>;
        network: z.ZodDefault<z.ZodString>;
        runtime: z.ZodDefault<z.ZodString>;
        security: z.ZodDefault<z.ZodArray<z.ZodString>>;
      },
      z.core.$strict
    >
  >;
  image: z.ZodPrefault<
    z.ZodObject<
      {
        pause_image: z.ZodDefault<z.ZodString>;
        registries: z.ZodDefault<
          z.ZodRecord<
            z.ZodString,
            z.ZodObject<
              {
                location: z.ZodDefault<z.ZodString>;
                insecure: z.ZodDefault<z.ZodBoolean>;
                mirrors: z.ZodDefault<z.ZodArray<z.ZodString>>;
              },
              z.core.$strict
            >
          >
        >;
      },
      z.core.$strict
    >
  >;
  streaming: z.ZodPrefault<
    z.ZodObject<
      {
        address: z.ZodDefault<z.ZodString>;
        port: z.ZodDefault<z.ZodNumber>;
      },
      z.core.$strict
    >
  >;
  metrics: z.ZodPrefault<
    z.ZodObject<
      {
        enable: z.ZodDefault<z.ZodBoolean>;
        address: z.ZodDefault<z.ZodString>;
        port: z.ZodDefault<z.ZodNumber>;
      },
      z.core.$strict
    >
  >;
};
export type DaemonConfig = z.infer<z.ZodObject<typeof daemonShape>>;
/** The effective config: daemon keys plus each plugin's parsed section, keyed by section. */
export type EffectiveConfig = DaemonConfig & Record<string, unknown>;
export declare class ConfigError extends Error {
  name: string;
}
/** Command-line flags that override the file. */
export interface ConfigOverrides {
  listen?: string;
  root?: string;
  runroot?: string;
  log_level?: string;
}
/** Read the TOML file; an absent file at the default path means built-in defaults. */
export declare function readConfigFile(path: string, explicit: boolean): Promise<Record<string, unknown>>;
/** Only the [plugins] section, parsed first to know which plugins own which other sections. */
export declare function parsePluginsSection(raw: Record<string, unknown>, source: string): PluginsConfig;
/** Validate the whole document against the daemon's keys and the plugins' sections. */
export declare function buildEffectiveConfig(
  raw: Record<string, unknown>,
  overrides: ConfigOverrides,
  definitions: PluginDefinition[],
  source: string,
): EffectiveConfig;
/** The socket path of a unix:// listen address. */
export declare function socketPath(listen: string): string;
//# sourceMappingURL=config.d.ts.map
