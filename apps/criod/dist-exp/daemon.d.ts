import { type Logger, type PluginSet } from '@criod/core';
import { type EffectiveConfig } from './config.js';
import { type SelectedPlugin } from './plugins.js';
export declare class StartupError extends Error {
  name: string;
}
/** Whether a server accepts connections on a unix socket path. */
export declare function socketAnswers(path: string): Promise<boolean>;
export interface RunningDaemon {
  plugins: PluginSet;
  socket: string;
  stop(): Promise<void>;
}
/** Start serving CRI on the configured socket with the selected plugins. */
export declare function startDaemon(config: EffectiveConfig, selected: SelectedPlugin[], logger: Logger): Promise<RunningDaemon>;
//# sourceMappingURL=daemon.d.ts.map
