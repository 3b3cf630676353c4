import type { Logger } from './logger.js';
import type { OperationObserver } from './observe.js';
import type { CoreState } from './state.js';
import type { RegistriesConfig } from './types.js';
import type { ImagePlugin, NamespacePlugin, NetworkPlugin, RecordsPlugin, RuntimePlugin, SecurityPlugin } from './plugins.js';

/** The plugins a running criod uses: one of each kind, and any number of security plugins. */
export interface PluginSet {
  runtime: RuntimePlugin;
  namespace: NamespacePlugin;
  network: NetworkPlugin;
  records: RecordsPlugin;
  images: ImagePlugin;
  security: SecurityPlugin[];
}

export interface CoreOptions {
  /** criod's own version, reported by Version. */
  runtimeVersion: string;
  /** The effective daemon config, shown by verbose Status. */
  effectiveConfig?: unknown;
  /** [image.registries]: per registry prefix remaps, insecure flags and mirrors. */
  registries?: RegistriesConfig;
  /** Infra image for pods that share one PID namespace. */
  pauseImage?: string;
  /** Volatile state dir: pod files (resolv.conf, hosts, hostname, shm) live under <runroot>/pods. */
  runroot: string;
  /** Told of pulls, restore results and the like, for metrics. */
  observe?: OperationObserver;
}

/** What every CRI operation of core works with. */
export interface CoreContext {
  plugins: PluginSet;
  logger: Logger;
  options: CoreOptions;
  state: CoreState;
}
