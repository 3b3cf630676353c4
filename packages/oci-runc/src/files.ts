import { access, readFile, unlink } from 'node:fs/promises';
import { isNotFound } from '@criod/core';

/** A file's text, or undefined when it does not exist. */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** False only when the path certainly does not exist (ENOENT); any other doubt says it may. */
export async function mayExist(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (err) {
    return !isNotFound(err);
  }
}

/** Delete a file; one that is not there is fine. */
export async function removeIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
