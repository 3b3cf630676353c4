import { describe, expect, it } from 'vitest';
import { parseImageConfig, parseManifestDocument, type Descriptor } from './manifest.js';
import { mediaTypes } from './media-types.js';
import { normalizePlatform, selectManifest } from './platform.js';

const d = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const entry = (n: number, architecture: string, variant?: string, os = 'linux'): Descriptor => ({
  mediaType: mediaTypes.ociManifest,
  digest: d(n),
  size: 100,
  platform: { os, architecture, ...(variant ? { variant } : {}) },
});

describe('selectManifest', () => {
  it('picks linux/amd64 out of several platforms', () => {
    const list = [entry(1, 'arm64', 'v8'), entry(2, 'amd64', undefined, 'windows'), entry(3, 'amd64'), entry(4, 's390x')];
    expect(selectManifest(list, normalizePlatform({ os: 'linux', architecture: 'x86_64' }))?.digest).toBe(d(3));
  });

  it('treats amd64/v1 as no variant and refuses a newer amd64 level', () => {
    expect(selectManifest([entry(1, 'amd64', 'v3'), entry(2, 'amd64', 'v1')], normalizePlatform({ os: 'linux', architecture: 'amd64' }))?.digest).toBe(d(2));
    expect(selectManifest([entry(1, 'amd64', 'v3')], normalizePlatform({ os: 'linux', architecture: 'amd64' }))).toBeUndefined();
  });

  it('runs older arm variants on newer hosts and prefers the exact one', () => {
    const host = normalizePlatform({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(selectManifest([entry(1, 'arm', 'v5'), entry(2, 'arm', 'v6')], host)?.digest).toBe(d(2));
    expect(selectManifest([entry(1, 'arm', 'v6'), entry(2, 'arm', 'v7'), entry(3, 'arm', 'v8')], host)?.digest).toBe(d(2));
    expect(selectManifest([entry(1, 'arm', 'v8')], host)).toBeUndefined();
  });

  it('matches arm64 with or without the v8 variant', () => {
    const host = normalizePlatform({ os: 'linux', architecture: 'aarch64' });
    expect(selectManifest([entry(1, 'arm64')], host)?.digest).toBe(d(1));
    expect(selectManifest([entry(1, 'arm64', 'v8')], host)?.digest).toBe(d(1));
  });

  it('skips entries without a platform and attestation manifests', () => {
    const noPlatform: Descriptor = { mediaType: mediaTypes.ociManifest, digest: d(9), size: 1 };
    expect(selectManifest([noPlatform, entry(2, 'unknown', undefined, 'unknown')], normalizePlatform({ os: 'linux', architecture: 'amd64' }))).toBeUndefined();
  });
});

describe('parseManifestDocument', () => {
  const manifest = {
    schemaVersion: 2,
    config: { mediaType: mediaTypes.ociConfig, digest: d(1), size: 2 },
    layers: [{ mediaType: mediaTypes.ociLayerGzip, digest: d(2), size: 3 }],
  };

  it('tells an index from a manifest by media type, by content type, or by shape', () => {
    expect(parseManifestDocument(Buffer.from(JSON.stringify({ ...manifest, mediaType: mediaTypes.ociManifest })), '', 'm').kind).toBe('manifest');
    expect(parseManifestDocument(Buffer.from(JSON.stringify(manifest)), `${mediaTypes.dockerManifest}; charset=utf-8`, 'm').kind).toBe('manifest');
    expect(parseManifestDocument(Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] })), '', 'i').kind).toBe('index');
  });

  it('refuses schema 1, unknown layer types and malformed documents', () => {
    expect(() => parseManifestDocument(Buffer.from(JSON.stringify({ schemaVersion: 1, fsLayers: [] })), '', 'm')).toThrow(/schema 1/);
    const foreign = { ...manifest, layers: [{ mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: d(2), size: 3 }] };
    expect(() => parseManifestDocument(Buffer.from(JSON.stringify(foreign)), '', 'm')).toThrow(/unsupported media type/);
    expect(() => parseManifestDocument(Buffer.from('{"schemaVersion":2,"config":{"digest":"sha256:1"}}'), '', 'm')).toThrow(
      expect.objectContaining({ code: 'FailedPrecondition' }),
    );
    expect(() => parseManifestDocument(Buffer.from('not json'), '', 'm')).toThrow(/not valid JSON/);
  });
});

describe('parseImageConfig', () => {
  it('reads Docker nulls as empty values and volumes as paths', () => {
    const cfg = parseImageConfig(
      Buffer.from(
        JSON.stringify({
          config: { Cmd: null, Entrypoint: ['/bin/sh'], Env: null, Labels: null, User: '1000:1000', Volumes: { '/data': {} } },
          rootfs: { type: 'layers', diff_ids: [d(1)] },
        }),
      ),
      'config',
    );
    expect(cfg.config).toEqual({
      User: '1000:1000',
      Env: [],
      Entrypoint: ['/bin/sh'],
      Cmd: [],
      WorkingDir: '',
      Labels: {},
      StopSignal: '',
      Volumes: ['/data'],
    });
    expect(parseImageConfig(Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: [] } })), 'c').config.Cmd).toEqual([]);
  });
});
