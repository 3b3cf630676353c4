import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FailedPreconditionError, isNotFound, writeFileAtomic } from '@criod/core';

/** 8 hex digits: short in pin names, and two criods on one host never draw the same in practice. */
export const INSTANCE_ID = /^[0-9a-f]{8}$/;

/** Where a criod keeps its instance id: in its own root, so it survives restarts and reboots. */
export function instanceIdFile(root: string): string {
  return join(root, 'net-netns', 'instance-id');
}

/**
 * This criod's instance id (8 hex digits), made on first start. Pins carry it, so criods sharing
 * a netns dir (side-by-side upgrades, tests) each release only their own orphans.
 */
export async function loadInstanceId(root: string): Promise<string> {
  const file = instanceIdFile(root);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (!isNotFound(err)) throw err;
    const id = randomBytes(4).toString('hex');
    await writeFileAtomic(file, `${id}\n`);
    return id;
  }
  const id = text.trim();
  if (!INSTANCE_ID.test(id)) {
    throw new FailedPreconditionError(`${file} holds ${JSON.stringify(id)}, not an instance id (8 hex digits): repair it, or delete it to get a new one`);
  }
  return id;
}
