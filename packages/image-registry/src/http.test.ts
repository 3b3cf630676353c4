import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FailedPreconditionError } from '@criod/core';
import { afterEach, describe, expect, it } from 'vitest';
import { RegistryHttp } from './http.js';

let server: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

describe('RegistryHttp', () => {
  it('closes without having sent anything', async () => {
    await new RegistryHttp().close();
  });

  it('sends its first request and closes after it', async () => {
    server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const http = new RegistryHttp();
    const res = await http.send(new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/`), {}, true, 'ping');
    expect(res.status).toBe(200);
    expect((await res.bytes(100, 'ping')).toString()).toBe('ok');
    await http.close();
  });

  it('refuses to send once closed', async () => {
    const http = new RegistryHttp();
    await http.close();
    await expect(http.send(new URL('http://127.0.0.1:9/v2/'), {}, true, 'ping')).rejects.toThrow(FailedPreconditionError);
  });
});
