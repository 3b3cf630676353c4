import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errnoOf, isNotFound } from './errno.js';

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('errno helpers', () => {
  it('reads the code of a real fs error', async () => {
    const missing = await errorOf(readFile('/nonexistent/criod-errno-test'));
    expect(errnoOf(missing)).toBe('ENOENT');
    expect(isNotFound(missing)).toBe(true);
    const notDir = await errorOf(readFile(`${fileURLToPath(import.meta.url)}/x`));
    expect(errnoOf(notDir)).toBe('ENOTDIR');
    expect(isNotFound(notDir)).toBe(false);
  });

  it('answers undefined or false for what has no code', () => {
    for (const err of [new Error('plain'), undefined, null, 'ENOENT', 2]) {
      expect(errnoOf(err)).toBeUndefined();
      expect(isNotFound(err)).toBe(false);
    }
    expect(errnoOf({ code: 2 })).toBe('2');
  });
});
