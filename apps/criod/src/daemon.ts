import { chmod, lstat, mkdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { CriService, type Logger, type PluginSet } from '@criod/core';
import { createCriServer, serveUnix, type CriListener } from '@criod/cri-grpc';
import { socketPath, type EffectiveConfig } from './config.js';
import { heapReducerDefaults, startHeapReducer } from './heap-reducer.js';
import type { MetricsServer } from './metrics.js';
import { closePlugins, createPlugins, type SelectedPlugin } from './plugins.js';
import { LazyStreamingServer } from './streaming.js';
import { criodVersion } from './version.js';

export class StartupError extends Error {
  override name = 'StartupError';
}

/** Whether a server accepts connections on a unix socket path. */
export function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Take over the socket path: refuse when a live server answers there, replace a stale socket. */
async function claimSocket(path: string, logger: Logger): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const st = await lstat(path).catch(() => undefined);
  if (!st) return;
  if (!st.isSocket()) throw new StartupError(`${path} exists and is not a socket; remove it or choose another --listen`);
  if (await socketAnswers(path)) throw new StartupError(`another server is already listening on ${path} (is criod running?)`);
  logger.warn({ socket: path }, 'replacing stale socket left by an earlier run');
  await rm(path, { force: true });
}

export interface RunningDaemon {
  plugins: PluginSet;
  socket: string;
  stop(): Promise<void>;
}

/** Start serving CRI on the configured socket with the selected plugins. */
export async function startDaemon(config: EffectiveConfig, selected: SelectedPlugin[], logger: Logger): Promise<RunningDaemon> {
  const socket = socketPath(config.listen);
  await claimSocket(socket, logger);
  await mkdir(config.root, { recursive: true, mode: 0o700 });
  await mkdir(config.runroot, { recursive: true, mode: 0o700 });
  // Loaded only when enabled: prom-client would slow every start (and `criod config`) otherwise.
  const metricsModule = config.metrics.enable ? await import('./metrics.js') : undefined;
  const metrics = metricsModule ? new metricsModule.CriodMetrics() : undefined;
  const plugins = await createPlugins(selected, config, logger, metrics?.observeOperation).catch((err: Error) => {
    throw new StartupError(err.message, { cause: err });
  });
  const core = new CriService(plugins, logger, {
    runtimeVersion: criodVersion,
    effectiveConfig: config,
    registries: config.image.registries,
    pauseImage: config.image.pause_image,
    runroot: config.runroot,
    observe: metrics?.observeOperation,
  });
  metrics?.countStatesWith(() => core.stateCounts());
  try {
    await core.restore();
  } catch (err) {
    await closePlugins(plugins);
    throw new StartupError(`cannot restore state from ${config.root}: ${(err as Error).message}`, { cause: err });
  }
  const streaming = new LazyStreamingServer({
    address: config.streaming.address,
    port: config.streaming.port,
    core,
    logger: logger.child({ component: 'streaming' }),
  });
  let metricsServer: MetricsServer | undefined;
  if (metricsModule && metrics) {
    try {
      metricsServer = await metricsModule.serveMetrics(metrics, config.metrics.address, config.metrics.port, logger.child({ component: 'metrics' }));
    } catch (err) {
      await closePlugins(plugins);
      throw new StartupError(`cannot serve metrics on ${config.metrics.address}:${config.metrics.port}: ${(err as Error).message}`, { cause: err });
    }
  }
  const server = createCriServer({ core, logger, streaming, observe: metrics?.observeRpc });
  let listener: CriListener;
  try {
    // Root-only socket, from its creation on: the CRI grants full control of the node.
    const umask = process.umask(0o117);
    try {
      listener = await serveUnix(server, socket, logger);
    } finally {
      process.umask(umask);
    }
    await chmod(socket, 0o660);
  } catch (err) {
    server.forceShutdown();
    await metricsServer?.close();
    await closePlugins(plugins);
    throw new StartupError(`cannot listen on ${socket}: ${(err as Error).message}`, { cause: err });
  }
  logger.info({ socket, metrics: metricsServer?.url, version: criodVersion, plugins: selected.map((s) => s.definition.name) }, 'criod is serving CRI v1');
  const heapReducer = startHeapReducer({ ...heapReducerDefaults, logger });
  let stopping: Promise<void> | undefined;
  return {
    plugins,
    socket,
    stop() {
      stopping ??= (async () => {
        heapReducer.stop();
        await listener.close(5000);
        await metricsServer?.close();
        await streaming.close();
        await closePlugins(plugins);
        await rm(socket, { force: true });
        logger.info('criod stopped');
      })();
      return stopping;
    },
  };
}
