/** A CRI server on a temp unix socket over in-memory fakes, with a client: what the gRPC tests share. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriService, silentLogger } from '@criod/core';
import { fakePluginSet, type FakePluginSet } from '@criod/core/testing';
import { connectCri, type CriClient, type CriClientOptions } from '../client.js';
import type { RpcObserver } from '../handler.js';
import { serveUnix, type CriListener } from '../h2/listener.js';
import { createCriServer } from '../server.js';

export interface TestServer {
  dir: string;
  socket: string;
  plugins: FakePluginSet;
  core: CriService;
  client: CriClient;
  listener: CriListener;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** A core of the test's own (e.g. a stub); by default a CriService over fresh fakes. */
  core?: CriService;
  observe?: RpcObserver;
  client?: CriClientOptions;
}

export async function startTestServer(prefix: string, options: TestServerOptions = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), `criod-grpc-${prefix}-`));
  const socket = join(dir, 'cri.sock');
  const plugins = fakePluginSet();
  const core = options.core ?? new CriService(plugins, silentLogger, { runtimeVersion: '0.1.0-test', runroot: dir });
  const listener = await serveUnix(createCriServer({ core, logger: silentLogger, observe: options.observe }), socket, silentLogger);
  const client = connectCri(socket, options.client);
  return {
    dir,
    socket,
    plugins,
    core,
    client,
    listener,
    async close() {
      // Pods of a failed test hold shm mounts under dir.
      if (!options.core) for (const p of core.listPodSandbox()) await core.removePodSandbox(p.id).catch(() => undefined);
      client.close();
      await listener.close(1000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
