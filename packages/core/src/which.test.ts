import { describe, expect, it } from 'vitest';
import { findExecutable } from './which.js';

describe('findExecutable', () => {
  it('finds a bare name in PATH', async () => {
    expect(await findExecutable('sh', { PATH: '/usr/bin:/bin' })).toMatch(/\/sh$/);
  });

  it('checks an absolute path as given', async () => {
    expect(await findExecutable('/bin/sh')).toBe('/bin/sh');
    expect(await findExecutable('/no/such/binary')).toBeUndefined();
  });

  it('answers undefined for a name nowhere on PATH', async () => {
    expect(await findExecutable('criod-no-such-tool', { PATH: '/usr/bin' })).toBeUndefined();
  });
});
