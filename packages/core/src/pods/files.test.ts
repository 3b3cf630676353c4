import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { testPodConfig as podConfig } from '../testing/configs.js';
import { defaultShmSizeBytes, shmSizeAnnotation, shmSizeOf } from './files.js';

function withShmSize(value: string) {
  return podConfig('shm', { annotations: { [shmSizeAnnotation]: value } });
}

describe('shmSizeOf', () => {
  it('defaults to 64 MiB without the annotation', () => {
    expect(shmSizeOf(podConfig('shm'))).toBe(defaultShmSizeBytes);
  });

  it('reads a Kubernetes quantity as bytes', () => {
    expect(shmSizeOf(withShmSize('128Mi'))).toBe(128 * 2 ** 20);
    expect(shmSizeOf(withShmSize(' 1G '))).toBe(1e9);
    expect(shmSizeOf(withShmSize('65536'))).toBe(65536);
  });

  it('refuses sizes that are not a positive whole number of bytes', () => {
    for (const value of ['lots', '0', '-1Mi', '100m', '1.3', '']) expect(() => shmSizeOf(withShmSize(value))).toThrow(InvalidArgumentError);
  });
});
