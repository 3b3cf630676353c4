#!/usr/bin/env node
/* global process, console, Buffer */
/**
 * Pull benchmark (run as root after `pnpm build` of image-registry and store-fs):
 *   - pulling a multi-layer image from a local docker-registry through the store (@criod/store-fs),
 *     next to `skopeo copy docker://… dir:…` of the same image in the same run;
 *   - unpack throughput of its layers (uncompressed MB/s);
 *   - the time from createRootfs to a ready rootfs (overlay and copy).
 * Usage: node bench/pull.mjs [--runs 5] [--layers 4] [--layer-mb 24]
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { silentLogger } from '@criod/core';
import { execa } from 'execa';
import { RegistryClient, RegistryHttp } from '../dist/index.js';
import { buildImage, buildLayer, busyboxEntries, push, startRegistry } from '../dist/testing/index.js';
// The store is the consumer of this package; the bench reaches into its build by path.
import { FsImageStore } from '../../store-fs/dist/images.js';
import { unpackLayer } from '../../store-fs/dist/layer-unpack.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, layers: { type: 'string', default: '4' }, 'layer-mb': { type: 'string', default: '24' } },
});
const runs = Number(values.runs);
const layerCount = Number(values.layers);
const layerMb = Number(values['layer-mb']);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const fmt = (xs) => `median ${median(xs).toFixed(1)} ms (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)}, n=${xs.length})`;

/** A layer like an application layer: a few big files, half random (incompressible), half text, and many small files. */
async function appLayer(n) {
  const entries = [{ path: `app${n}`, type: 'dir' }];
  const big = Math.max(1, Math.floor(layerMb / 4));
  for (let i = 0; i < 4; i++) {
    const random = randomBytes(big * 512 * 1024);
    const text = Buffer.from(`line ${n}-${i} of a text-like file that compresses well\n`.repeat(Math.ceil((big * 512 * 1024) / 50))).subarray(
      0,
      big * 512 * 1024,
    );
    entries.push({ path: `app${n}/blob${i}.bin`, type: 'file', content: Buffer.concat([random, text]) });
  }
  for (let i = 0; i < 300; i++) entries.push({ path: `app${n}/small/${i}.txt`, type: 'file', content: Buffer.from(`small file ${i}\n`.repeat(20)) });
  return buildLayer(entries, n % 2 === 0 ? 'gzip' : 'zstd');
}

const registry = await startRegistry();
const work = await mkdtemp(join(tmpdir(), 'criod-bench-'));
try {
  const layers = [await buildLayer(await busyboxEntries())];
  for (let i = 1; i <= layerCount; i++) layers.push(await appLayer(i));
  const image = buildImage({ layers, config: { Cmd: ['sh'] } });
  await push({ host: registry.host, repository: 'bench/app', tag: 'v1' }, image);
  const compressed = layers.reduce((s, l) => s + l.size, 0);
  const ref = `${registry.host}/bench/app:v1`;
  console.log(`image: ${layers.length} layers (gzip and zstd), ${(compressed / 1e6).toFixed(1)} MB compressed; ${runs} runs each; registry ${registry.host}`);

  const pulls = [];
  for (let r = 0; r < runs; r++) {
    const dir = join(work, `store-${r}`);
    const store = new FsImageStore(dir, silentLogger);
    const t0 = process.hrtime.bigint();
    await store.pull(ref, { registries: {} });
    pulls.push(ms(t0));
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
  console.log(`criod pull (download + verify + unpack): ${fmt(pulls)}`);

  // The same download work as skopeo does (manifest, config, verified blobs to files), 3 layers at once.
  const downloads = [];
  for (let r = 0; r < runs; r++) {
    const dest = join(work, `download-${r}`);
    await mkdir(dest);
    const http = new RegistryHttp();
    const t0 = process.hrtime.bigint();
    const client = new RegistryClient({ http });
    const resolved = await client.resolve(ref);
    const queue = [...resolved.manifest.layers];
    await Promise.all(
      [0, 1, 2].map(async () => {
        for (let layer = queue.shift(); layer; layer = queue.shift()) await client.downloadBlob(resolved, layer, join(dest, layer.digest.slice(7)));
      }),
    );
    downloads.push(ms(t0));
    await http.close();
    await rm(dest, { recursive: true, force: true });
  }
  console.log(`criod download only (RegistryClient, verified, 3 at once): ${fmt(downloads)}`);

  const copies = [];
  for (let r = 0; r < runs; r++) {
    const dest = join(work, `skopeo-${r}`);
    const t0 = process.hrtime.bigint();
    await execa('skopeo', ['copy', '--src-tls-verify=false', `docker://${ref}`, `dir:${dest}`]);
    copies.push(ms(t0));
    if (r < runs - 1) await rm(dest, { recursive: true, force: true });
  }
  console.log(`skopeo copy to dir: (download + verify only): ${fmt(copies)}`);

  // Unpack alone, from the blobs skopeo fetched, next to GNU tar extracting the same blobs (the floor).
  const tarBytes = layers.reduce((s, l) => s + l.tarSize, 0);
  const unpackers = {
    'criod unpackLayer (diff id, whiteouts, xattrs)': (blob, into, layer) => unpackLayer(blob, into, layer.diffId, 'bench'),
    'GNU tar -xf alone': (blob, into) => execa('tar', ['-x', '-f', blob, '-C', into]),
  };
  for (const [name, unpack] of Object.entries(unpackers)) {
    let total = 0;
    for (const layer of layers) {
      const blob = join(work, `skopeo-${runs - 1}`, layer.digest.slice(7));
      const times = [];
      for (let r = 0; r < runs; r++) {
        const into = join(work, `unpack-${r}`);
        await mkdir(into);
        const t0 = process.hrtime.bigint();
        await unpack(blob, into, layer);
        times.push(ms(t0));
        await rm(into, { recursive: true, force: true });
      }
      total += median(times);
    }
    console.log(
      `unpack, ${name}: ${(tarBytes / 1e6).toFixed(1)} MB of tar in ${total.toFixed(1)} ms (sum of per-layer medians) = ${(tarBytes / 1e6 / (total / 1000)).toFixed(0)} MB/s`,
    );
  }

  for (const rootfsMode of ['overlay', 'copy']) {
    const dir = join(work, `rootfs-${rootfsMode}`);
    const store = new FsImageStore(dir, silentLogger, { rootfsMode });
    const img = await store.pull(ref, { registries: {} });
    const times = [];
    for (let r = 0; r < Math.max(runs, 10); r++) {
      const t0 = process.hrtime.bigint();
      await store.createRootfs(`bench-${r}`, img.id);
      times.push(ms(t0));
    }
    for (let r = 0; r < Math.max(runs, 10); r++) await store.removeRootfs(`bench-${r}`);
    await store.close();
    await rm(dir, { recursive: true, force: true });
    console.log(`createRootfs (${rootfsMode}) to a ready rootfs: ${fmt(times)}`);
  }
} finally {
  await registry.stop();
  await rm(work, { recursive: true, force: true });
}
