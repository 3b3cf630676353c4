import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ContainerEvent, type CriService } from '@criod/core';
import type { CriClient } from '../client.js';
import { startTestServer, type TestServer } from '../__tests__/test-server.js';
import { MAX_PENDING_EVENTS } from './events.js';

/** Just the part of core the event stream uses, so a test can emit events at any rate. */
const listeners = new Set<(e: ContainerEvent) => void>();
const core = {
  onContainerEvent(listener: (e: ContainerEvent) => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  podSandboxStatus: () => Promise.reject(new Error('no pod in this test')),
  listContainers: () => Promise.resolve([]),
} as unknown as CriService;

let server: TestServer;
let client: CriClient;

beforeAll(async () => {
  server = await startTestServer('events', { core });
  ({ client } = server);
});

afterAll(() => server.close());

const emit = (n: number) => {
  for (let i = 0; i < n; i++) for (const l of listeners) l({ type: 'created', containerId: `c${i}`, podId: 'p', at: BigInt(i) } as ContainerEvent);
};

describe('GetContainerEvents', () => {
  it('ends the stream of a reader that stops reading instead of queueing without bound', { timeout: 30_000 }, async () => {
    const stream = client.raw.runtime.getContainerEvents({});
    let received = 0;
    const ended = new Promise<ServiceError>((resolve) => stream.on('error', resolve));
    stream.on('data', () => received++);
    await new Promise((r) => setTimeout(r, 50));
    stream.pause();
    // Far more than HTTP/2 flow control and the stream buffers hold, in a few bursts.
    for (let burst = 0; burst < 20; burst++) {
      emit(1000);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(listeners.size).toBe(0);
    stream.resume();
    const err = await ended;
    expect(err.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(err.details).toMatch(/fell \d+ events behind; subscribe again/);
    expect(received).toBeLessThan(20_000);
  });

  it('delivers every event, in order, to a reader that keeps up', { timeout: 30_000 }, async () => {
    const stream = client.raw.runtime.getContainerEvents({});
    const ids: string[] = [];
    stream.on('data', (e: { containerId: string }) => ids.push(e.containerId));
    stream.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 50));
    // Bursts of half the bound, each once the last has arrived: none is dropped.
    const deadline = Date.now() + 20_000;
    for (let burst = 1; burst <= 3; burst++) {
      emit(MAX_PENDING_EVENTS / 2);
      while (ids.length < (burst * MAX_PENDING_EVENTS) / 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    }
    stream.cancel();
    expect(ids).toHaveLength((3 * MAX_PENDING_EVENTS) / 2);
    expect(ids.slice(0, 3)).toEqual(['c0', 'c1', 'c2']);
  });
});
