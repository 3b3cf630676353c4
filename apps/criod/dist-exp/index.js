export { main, helpText, parseCommandLine, loadConfig, renderConfig, unhandledErrorMessages } from './cli.js';
export { buildEffectiveConfig, ConfigError, daemonShape, pluginsSchema } from './config.js';
export { socketAnswers, startDaemon, StartupError } from './daemon.js';
export { loadPluginDefinitions, createPlugins, closePlugins } from './plugins.js';
export { criodVersion } from './version.js';
//# sourceMappingURL=index.js.map
