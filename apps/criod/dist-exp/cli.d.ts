import { type ConfigOverrides, type EffectiveConfig } from './config.js';
import { type SelectedPlugin } from './plugins.js';
export declare const helpText: string;
interface Parsed {
  command: 'serve' | 'config' | 'version' | 'help';
  /** `config --reference`: document the keys instead of printing their values. */
  reference: boolean;
  configPath: string;
  configExplicit: boolean;
  overrides: ConfigOverrides;
}
export declare function parseCommandLine(argv: string[]): Parsed;
/** Read, load plugins for, and validate the config named on the command line. */
export declare function loadConfig(parsed: Parsed): Promise<{
  config: EffectiveConfig;
  selected: SelectedPlugin[];
}>;
/** The effective config as TOML, each plugin section headed by the package that owns it. */
export declare function renderConfig(config: EffectiveConfig, selected: SelectedPlugin[]): string;
/** What criod logs for an error nothing handled; the e2e harness fails any test whose criod logged one. */
export declare const unhandledErrorMessages: {
  readonly rejection: 'unhandled rejection; criod keeps serving';
  readonly exception: 'uncaught exception; criod exits';
};
export declare function main(argv: string[]): Promise<number>;
export {};
//# sourceMappingURL=cli.d.ts.map
