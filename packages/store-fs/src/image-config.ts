/** From a pulled image's OCI config to criod's ImageRecord fields. */
import { createHash } from 'node:crypto';
import type { ImageConfig, ImageRecord } from '@criod/core';
import type { ImageConfigDocument } from '@criod/image-registry';

/** Chain ids of the layers: the first is its diff id, each next one hashes the previous and its diff id. */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const diffId of diffIds) {
    const prev = out.at(-1);
    out.push(prev === undefined ? diffId : `sha256:${createHash('sha256').update(`${prev} ${diffId}`).digest('hex')}`);
  }
  return out;
}

export function imageConfig(doc: ImageConfigDocument): ImageConfig {
  const c = doc.config;
  return {
    entrypoint: c.Entrypoint,
    cmd: c.Cmd,
    env: c.Env,
    workingDir: c.WorkingDir,
    user: c.User,
    stopSignal: c.StopSignal,
    volumes: c.Volumes,
    labels: c.Labels,
  };
}

/** The image's default user as the CRI reports it: a numeric uid, or else a name; neither when unset. */
export function imageUser(user: string): Pick<ImageRecord, 'uid' | 'username'> {
  const name = user.split(':')[0] ?? '';
  if (name === '') return { username: '' };
  return /^\d+$/.test(name) ? { uid: Number(name), username: '' } : { username: name };
}
