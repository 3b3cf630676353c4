import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegistryAuth } from '@criod/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from './client.js';
import { RegistryHttp } from './http.js';
import {
  basicAuth,
  buildImage,
  buildLayer,
  push,
  startRegistry,
  startTokenServer,
  type BuiltImage,
  type TestRegistry,
  type TokenServer,
} from './testing/index.js';

const noAuth: RegistryAuth = { username: '', password: '', auth: '', serverAddress: '', identityToken: '', registryToken: '' };
let image: BuiltImage;
const http = new RegistryHttp({ retries: 0 });

beforeAll(async () => {
  image = buildImage({ layers: [await buildLayer([{ path: 'secret', type: 'file', content: Buffer.from('s3cret') }])] });
});

afterAll(async () => {
  await http.close();
});

const resolve = (ref: string, auth?: RegistryAuth) => new RegistryClient({ http, ...(auth ? { auth } : {}) }).resolve(ref);

describe('Basic auth (htpasswd registry)', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ auth: { htpasswd: { alice: 'wonderland' } } });
    await push({ host: registry.host, repository: 'private/app', tag: 'v1', auth: basicAuth('alice', 'wonderland') }, image);
  }, 60_000);
  afterAll(async () => {
    await registry?.stop();
  });

  it('pulls with a username and password, or with base64 auth', async () => {
    expect((await resolve(`${registry.host}/private/app:v1`, basicAuth('alice', 'wonderland'))).digest).toBe(image.digest);
    const auth = { ...noAuth, auth: Buffer.from('alice:wonderland').toString('base64') };
    expect((await resolve(`${registry.host}/private/app:v1`, auth)).digest).toBe(image.digest);
  });

  it('says authentication is required when no credentials are given', async () => {
    await expect(resolve(`${registry.host}/private/app:v1`)).rejects.toMatchObject({
      code: 'FailedPrecondition',
      message: expect.stringContaining('requires authentication'),
    });
  });

  it('says the credentials were rejected when they are wrong', async () => {
    await expect(resolve(`${registry.host}/private/app:v1`, basicAuth('alice', 'nope'))).rejects.toMatchObject({
      code: 'InvalidArgument',
      message: expect.stringContaining('rejected the credentials'),
    });
  });
});

describe('Bearer token auth (token server + registry)', () => {
  let tokens: TokenServer;
  let registry: TestRegistry;
  beforeAll(async () => {
    tokens = await startTokenServer({ users: { bob: 'builder' }, refreshTokens: { 'refresh-123': 'bob' } });
    registry = await startRegistry({ auth: { token: tokens } });
    await push({ host: registry.host, repository: 'team/app', tag: 'v1', auth: basicAuth('bob', 'builder') }, image);
  }, 60_000);
  afterAll(async () => {
    try {
      await registry?.stop();
    } finally {
      await tokens?.stop();
    }
  });

  it('gets a token for the pull scope with Basic credentials at the realm', async () => {
    tokens.requests.length = 0;
    const client = new RegistryClient({ http, auth: basicAuth('bob', 'builder') });
    const img = await client.resolve(`${registry.host}/team/app:v1`);
    expect(img.digest).toBe(image.digest);
    const dir = await mkdtemp(join(tmpdir(), 'criod-auth-'));
    try {
      await client.downloadBlob(img, img.manifest.layers[0]!, join(dir, 'layer'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // One token serves the manifest, the config and the layer.
    expect(tokens.requests).toEqual([{ account: 'bob', scope: 'repository:team/app:pull', granted: true }]);
  });

  it('exchanges an identity token (OAuth2 refresh token) for an access token', async () => {
    expect((await resolve(`${registry.host}/team/app:v1`, { ...noAuth, identityToken: 'refresh-123' })).digest).toBe(image.digest);
    await expect(resolve(`${registry.host}/team/app:v1`, { ...noAuth, identityToken: 'stolen' })).rejects.toMatchObject({ code: 'InvalidArgument' });
  });

  it('sends a registry token as the bearer token as is', async () => {
    const issued = await fetch(`${tokens.realm}?service=${tokens.service}&scope=repository:team/app:pull`, {
      headers: { authorization: `Basic ${Buffer.from('bob:builder').toString('base64')}` },
    });
    const { token } = (await issued.json()) as { token: string };
    tokens.requests.length = 0;
    expect((await resolve(`${registry.host}/team/app:v1`, { ...noAuth, registryToken: token })).digest).toBe(image.digest);
    expect(tokens.requests).toEqual([]);
    await expect(resolve(`${registry.host}/team/app:v1`, { ...noAuth, registryToken: 'forged' })).rejects.toMatchObject({
      code: 'InvalidArgument',
      message: expect.stringContaining('registry token was refused'),
    });
  });

  it('refuses anonymous pulls and wrong passwords with the right errors', async () => {
    await expect(resolve(`${registry.host}/team/app:v1`)).rejects.toMatchObject({
      code: 'FailedPrecondition',
      message: expect.stringContaining('requires authentication'),
    });
    await expect(resolve(`${registry.host}/team/app:v1`, basicAuth('bob', 'wrong'))).rejects.toMatchObject({
      code: 'InvalidArgument',
      message: expect.stringContaining('invalid username or password'),
    });
  });
});
