import { parseArgs } from 'node:util';
import { stringify as toToml } from 'smol-toml';
import { buildEffectiveConfig, ConfigError, defaultConfigPath, parsePluginsSection, readConfigFile } from './config.js';
import { startDaemon, StartupError } from './daemon.js';
import { createLogger } from './logger.js';
import { renderConfigReference } from './config-reference.js';
import { documentedPlugins, loadPluginDefinitions } from './plugins.js';
import { criodVersion } from './version.js';
export const helpText = `criod ${criodVersion} — a Kubernetes CRI v1 runtime daemon (runc under conmon, CNI networking)

Usage:
  criod [flags]            serve the CRI on the socket (the default command)
  criod config [flags]     print the effective config as TOML, defaults included
  criod config --reference print every config key with its type, default and description
                           (Markdown; the bundled plugins' and any the config selects)
  criod version            print criod's version and the CRI API version
  criod --help             this text

Flags:
  --config <path>       TOML config file (default ${defaultConfigPath}; absent = built-in defaults)
  --listen <address>    CRI socket address (default unix:///run/criod/criod.sock)
  --root <dir>          persistent state dir (default /var/lib/criod)
  --runroot <dir>       volatile state dir (default /run/criod)
  --log-level <level>   fatal, error, warn, info, debug or trace (default info)

Point crictl at it:
  crictl --runtime-endpoint unix:///run/criod/criod.sock version
`;
export function parseCommandLine(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string' },
      listen: { type: 'string' },
      root: { type: 'string' },
      runroot: { type: 'string' },
      'log-level': { type: 'string' },
      reference: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  const [first, ...rest] = positionals;
  if (rest.length > 0) throw new ConfigError(`unexpected argument "${rest[0]}" (see criod --help)`);
  let command = 'serve';
  if (values.help || first === 'help') command = 'help';
  else if (values.version || first === 'version') command = 'version';
  else if (first === 'config') command = 'config';
  else if (first !== undefined && first !== 'serve') throw new ConfigError(`unknown command "${first}" (see criod --help)`);
  if (values.reference && command !== 'config') throw new ConfigError('--reference goes with the config command: criod config --reference');
  return {
    command,
    reference: values.reference ?? false,
    configPath: values.config ?? defaultConfigPath,
    configExplicit: values.config !== undefined,
    overrides: { listen: values.listen, root: values.root, runroot: values.runroot, log_level: values['log-level'] },
  };
}
/** Read, load plugins for, and validate the config named on the command line. */
export async function loadConfig(parsed) {
  const raw = await readConfigFile(parsed.configPath, parsed.configExplicit);
  const source = Object.keys(raw).length > 0 || parsed.configExplicit ? parsed.configPath : 'built-in defaults';
  const selected = await loadPluginDefinitions(parsePluginsSection(raw, source));
  const config = buildEffectiveConfig(
    raw,
    parsed.overrides,
    selected.map((s) => s.definition),
    source,
  );
  return { config, selected };
}
/** The effective config as TOML, each plugin section headed by the package that owns it. */
export function renderConfig(config, selected) {
  const owners = new Map(selected.map((s) => [s.definition.configSection, s.definition.name]));
  const daemonPart = {};
  const sections = [];
  for (const [key, value] of Object.entries(config)) {
    const owner = owners.get(key);
    if (owner) sections.push(`# [${key}] is owned by the plugin ${owner}\n${toToml({ [key]: value })}`);
    else daemonPart[key] = value;
  }
  return `# criod ${criodVersion} effective configuration\n${toToml(daemonPart)}\n\n${sections.join('\n\n')}\n`;
}
async function printConfigReference(selected) {
  try {
    process.stdout.write(`${renderConfigReference(await documentedPlugins(selected))}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`criod: ${err.message}\n`);
    return 2;
  }
}
/** What criod logs for an error nothing handled; the e2e harness fails any test whose criod logged one. */
export const unhandledErrorMessages = {
  rejection: 'unhandled rejection; criod keeps serving',
  exception: 'uncaught exception; criod exits',
};
export async function main(argv) {
  let parsed;
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    process.stderr.write(`criod: ${err.message}\n`);
    return 2;
  }
  if (parsed.command === 'help') {
    process.stdout.write(helpText);
    return 0;
  }
  if (parsed.command === 'version') {
    process.stdout.write(`criod ${criodVersion}\nCRI API v1 (runtime.v1)\n`);
    return 0;
  }
  let loaded;
  try {
    loaded = await loadConfig(parsed);
  } catch (err) {
    process.stderr.write(`criod: ${err.message}\n`);
    return 2;
  }
  if (parsed.command === 'config' && parsed.reference) return printConfigReference(loaded.selected);
  if (parsed.command === 'config') {
    process.stdout.write(renderConfig(loaded.config, loaded.selected));
    return 0;
  }
  const logger = createLogger(loaded.config.log_level);
  // Signals are handled from before the socket exists: a SIGTERM during startup still shuts down
  // cleanly (socket removed, plugins closed) instead of killing the process half-started.
  let daemon;
  let stopRequested = false;
  let exited;
  const exitCode = new Promise((resolve) => (exited = resolve));
  const stop = () =>
    daemon.stop().then(
      () => exited(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        exited(1);
      },
    );
  const onSignal = (signal) => {
    logger.info({ signal }, 'shutting down');
    stopRequested = true;
    if (daemon) void stop();
  };
  // `on`, not `once`: a library that spawned a child (execa's signal-exit) re-raises a signal it
  // sees no other listener for, which would kill criod in the middle of its graceful shutdown.
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    daemon = await startDaemon(loaded.config, loaded.selected, logger);
  } catch (err) {
    logger.error({ err }, 'criod failed to start');
    if (err instanceof StartupError) process.stderr.write(`criod: ${err.message}\n`);
    else process.stderr.write(`criod: ${err.stack ?? String(err)}\n`);
    return 1;
  }
  // A stray rejection in some background task must not take every pod's runtime down with it.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, unhandledErrorMessages.rejection));
  // Node still prints the stack and exits; this leaves the reason in the JSON log too.
  process.on('uncaughtExceptionMonitor', (err) => logger.error({ err }, unhandledErrorMessages.exception));
  if (stopRequested) void stop();
  return exitCode;
}
//# sourceMappingURL=cli.js.map
