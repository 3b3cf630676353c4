import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriService, InternalError, silentLogger } from '@criod/core';
import { fakePluginSet } from '@criod/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LazyStreamingServer } from './streaming.js';

let dir: string;
let blocker: Server | undefined;
let streaming: LazyStreamingServer | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'criod-streaming-'));
});

afterEach(async () => {
  await streaming?.close();
  streaming = undefined;
  await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
  blocker = undefined;
  await rm(dir, { recursive: true, force: true });
});

function lazyServer(port: number): LazyStreamingServer {
  const core = new CriService(fakePluginSet(), silentLogger, { runtimeVersion: 'test', runroot: dir });
  return new LazyStreamingServer({ address: '127.0.0.1', port, core, logger: silentLogger });
}

const forward = { podSandboxId: 'pod', ports: [80] };

describe('LazyStreamingServer', () => {
  it('closes without having started', async () => {
    await lazyServer(0).close();
  });

  it('starts at the first URL request and serves the next ones from the same server', async () => {
    streaming = lazyServer(0);
    const first = new URL(await streaming.portForward(forward));
    const second = new URL(await streaming.portForward(forward));
    expect(first.protocol).toBe('http:');
    expect(second.host).toBe(first.host);
    expect(second.pathname).not.toBe(first.pathname);
  });

  it('reports a port it cannot bind, and starts at a later request once the port is free', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    streaming = lazyServer(port);
    await expect(streaming.portForward(forward)).rejects.toThrow(InternalError);
    await expect(streaming.portForward(forward)).rejects.toThrow(`cannot start the streaming server on 127.0.0.1:${port}`);
    await new Promise((resolve) => blocker!.close(resolve));
    blocker = undefined;
    expect(new URL(await streaming.portForward(forward)).port).toBe(String(port));
  });

  it('refuses requests once closed', async () => {
    streaming = lazyServer(0);
    await streaming.portForward(forward);
    await streaming.close();
    await expect(streaming.portForward(forward)).rejects.toThrow(/shut down/);
  });
});
