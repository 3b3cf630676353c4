import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status as GrpcStatus, type Server } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CriService, NotFoundError, silentLogger } from '@criod/core';
import { fakePluginSet, testContainerConfig, testImage, testPodConfig, type FakePluginSet } from '@criod/core/testing';
import { connectCri, type CriClient } from './client.js';
import { CgroupDriver, ContainerEventType } from './gen/runtime/v1/api.js';
import { createCriServer, listenUnix, shutdownServer } from './server.js';

let dir: string;
let server: Server;
let client: CriClient;
let plugins: FakePluginSet;
let core: CriService;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'criod-grpc-'));
  plugins = fakePluginSet();
  core = new CriService(plugins, silentLogger, { runtimeVersion: '0.1.0-test', runroot: dir });
  server = createCriServer({ core, logger: silentLogger });
  await listenUnix(server, join(dir, 'cri.sock'));
  client = connectCri(join(dir, 'cri.sock'));
});

afterAll(async () => {
  client.close();
  await shutdownServer(server, 1000);
  rmSync(dir, { recursive: true, force: true });
});

describe('CRI gRPC server', () => {
  it('answers Version as criod speaking v1', async () => {
    expect(await client.runtime.version({ version: '0.1.0' })).toEqual({
      version: '0.1.0',
      runtimeName: 'criod',
      runtimeVersion: '0.1.0-test',
      runtimeApiVersion: 'v1',
    });
  });

  it('answers Status with both conditions and the handlers', async () => {
    plugins.network.readiness = { ready: false, reason: 'NetworkPluginNotReady', message: 'no config' };
    const st = await client.runtime.status({ verbose: true });
    plugins.network.readiness = { ready: true, reason: '', message: '' };
    expect(st.status?.conditions).toEqual([
      { type: 'RuntimeReady', status: true, reason: '', message: '' },
      { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: 'no config' },
    ]);
    expect(st.runtimeHandlers.map((h) => h.name)).toEqual(['', 'runc']);
    expect(Object.keys(st.info)).toContain('plugins');
  });

  it('answers RuntimeConfig with the cgroup driver', async () => {
    expect((await client.runtime.runtimeConfig({})).linux?.cgroupDriver).toBe(CgroupDriver.CGROUPFS);
  });

  it('answers UNIMPLEMENTED naming an RPC not built yet', async () => {
    await expect(client.runtime.checkpointContainer({ containerId: 'x', location: '/tmp/x', timeout: 0n })).rejects.toMatchObject({
      code: GrpcStatus.UNIMPLEMENTED,
      details: 'CheckpointContainer is not implemented by criod yet',
    });
  });

  it('maps a typed core error to its gRPC code', async () => {
    plugins.runtime.driver = 'systemd';
    const original = plugins.runtime.cgroupDriver;
    plugins.runtime.cgroupDriver = () => {
      throw new NotFoundError('no such thing');
    };
    try {
      await expect(client.runtime.runtimeConfig({})).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND, details: 'no such thing' });
    } finally {
      plugins.runtime.cgroupDriver = original;
    }
  });

  it('turns an untyped throw into INTERNAL and keeps serving', async () => {
    const original = plugins.runtime.handlers;
    plugins.runtime.handlers = () => {
      throw new TypeError('boom');
    };
    try {
      await expect(client.runtime.status({ verbose: false })).rejects.toMatchObject({ code: GrpcStatus.INTERNAL, details: 'boom' });
    } finally {
      plugins.runtime.handlers = original;
    }
    expect((await client.runtime.version({ version: '0.1.0' })).runtimeName).toBe('criod');
  });

  it('streams container events with the pod and container statuses', async () => {
    plugins.store.images.images.set(testImage().id, testImage());
    const stream = client.raw.runtime.getContainerEvents({});
    const events: { type: number; id: string; pod?: string; containers: number }[] = [];
    stream.on('data', (e: { containerEventType: number; containerId: string; podSandboxStatus?: { id: string }; containersStatuses: unknown[] }) =>
      events.push({ type: e.containerEventType, id: e.containerId, pod: e.podSandboxStatus?.id, containers: e.containersStatuses.length }),
    );
    stream.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 50));
    const podId = await core.runPodSandbox(testPodConfig('events'), '');
    const id = await core.createContainer(podId, testContainerConfig('app'));
    await core.startContainer(id);
    await new Promise((r) => setTimeout(r, 100));
    stream.cancel();
    expect(events).toEqual([
      { type: ContainerEventType.CONTAINER_CREATED_EVENT, id, pod: podId, containers: 1 },
      { type: ContainerEventType.CONTAINER_STARTED_EVENT, id, pod: podId, containers: 1 },
    ]);
    await core.removePodSandbox(podId);
  });
});
