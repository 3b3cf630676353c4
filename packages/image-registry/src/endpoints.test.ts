import type { RegistriesConfig } from '@criod/core';
import { describe, expect, it } from 'vitest';
import { parseChallenges } from './challenge.js';
import { credentialsFromAuth } from './credentials.js';
import { endpointsFor, isLoopbackHost } from './endpoints.js';
import { parseReference } from './reference.js';

const settings = (s: Partial<RegistriesConfig[string]>) => ({ location: '', insecure: false, mirrors: [], ...s });

describe('endpointsFor', () => {
  it('pulls Docker Hub names from its API host over https', () => {
    expect(endpointsFor(parseReference('busybox'), {})).toEqual([
      { host: 'registry-1.docker.io', repository: 'library/busybox', insecure: false, role: 'registry' },
    ]);
  });

  it('allows plain http to loopback registries and to registries marked insecure', () => {
    expect(endpointsFor(parseReference('127.0.0.1:5000/app'), {})[0]?.insecure).toBe(true);
    expect(endpointsFor(parseReference('localhost:5000/app'), {})[0]?.insecure).toBe(true);
    expect(endpointsFor(parseReference('reg.example:5000/app'), {})[0]?.insecure).toBe(false);
    expect(endpointsFor(parseReference('reg.example:5000/app'), { 'reg.example:5000': settings({ insecure: true }) })[0]?.insecure).toBe(true);
  });

  it('tries mirrors in order, then the registry; a mirror is insecure by its own entry', () => {
    const registries = { 'docker.io': settings({ mirrors: ['mirror.example/hub', 'other.example'] }), 'other.example': settings({ insecure: true }) };
    expect(endpointsFor(parseReference('busybox:1'), registries)).toEqual([
      { host: 'mirror.example', repository: 'hub/library/busybox', insecure: false, role: 'mirror' },
      { host: 'other.example', repository: 'library/busybox', insecure: true, role: 'mirror' },
      { host: 'registry-1.docker.io', repository: 'library/busybox', insecure: false, role: 'registry' },
    ]);
  });

  it('remaps a prefix to a location with no fallback, the longest prefix winning', () => {
    const registries = {
      'quay.example': settings({ mirrors: ['m.example'] }),
      'quay.example/team': settings({ location: '127.0.0.1:5000/copies', insecure: true }),
    };
    expect(endpointsFor(parseReference('quay.example/team/app:v1'), registries)).toEqual([
      { host: '127.0.0.1:5000', repository: 'copies/app', insecure: true, role: 'location' },
    ]);
    expect(endpointsFor(parseReference('quay.example/other/app'), registries).map((e) => e.role)).toEqual(['mirror', 'registry']);
    // A prefix matches whole path components only.
    expect(endpointsFor(parseReference('quay.example/teammate/app'), registries).map((e) => e.role)).toEqual(['mirror', 'registry']);
  });

  it('knows loopback hosts', () => {
    expect(['127.0.0.1:1', '127.1.2.3', 'localhost', '[::1]:5000'].every(isLoopbackHost)).toBe(true);
    expect(['10.0.0.1:5000', 'localhost.example', '128.0.0.1'].some(isLoopbackHost)).toBe(false);
  });
});

describe('parseChallenges', () => {
  it('reads a Bearer challenge with quoted, escaped and comma-holding values', () => {
    expect(parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' } },
    ]);
    expect(parseChallenges('Basic realm="say \\"hi\\""')).toEqual([{ scheme: 'basic', params: { realm: 'say "hi"' } }]);
  });

  it('reads several challenges in one header', () => {
    expect(parseChallenges('Basic realm="r", Bearer realm="https://t/x", service=s').map((c) => [c.scheme, c.params])).toEqual([
      ['basic', { realm: 'r' }],
      ['bearer', { realm: 'https://t/x', service: 's' }],
    ]);
    expect(parseChallenges('')).toEqual([]);
  });
});

describe('credentialsFromAuth', () => {
  const auth = { username: '', password: '', auth: '', serverAddress: '', identityToken: '', registryToken: '' };
  it('decodes username/password, base64 auth, identity and registry tokens', () => {
    expect(credentialsFromAuth({ ...auth, username: 'u', password: 'p:w' })).toEqual({ basic: { username: 'u', password: 'p:w' } });
    expect(credentialsFromAuth({ ...auth, auth: Buffer.from('u:p:w').toString('base64') })).toEqual({ basic: { username: 'u', password: 'p:w' } });
    expect(credentialsFromAuth({ ...auth, identityToken: 'id', registryToken: 'rt' })).toEqual({ identityToken: 'id', registryToken: 'rt' });
    expect(credentialsFromAuth(undefined)).toEqual({});
  });
  it('refuses an auth that is not base64 user:password', () => {
    expect(() => credentialsFromAuth({ ...auth, auth: Buffer.from('nocolon').toString('base64') })).toThrow(
      expect.objectContaining({ code: 'InvalidArgument' }),
    );
  });
});
