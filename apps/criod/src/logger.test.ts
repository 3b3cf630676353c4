import { describe, expect, it } from 'vitest';
import { serializeError } from './logger.js';

describe('logged errors', () => {
  it('are typed by their name, not their constructor', () => {
    class Xy extends Error {
      override name = 'ConfigError';
    }
    expect(serializeError(new Xy('bad key'))).toMatchObject({ type: 'ConfigError', message: 'bad key' });
    expect(serializeError(new TypeError('t'))).toMatchObject({ type: 'TypeError' });
  });

  it('pass anything that is not an error as it is', () => {
    expect(serializeError('SSL routines:wrong version number')).toBe('SSL routines:wrong version number');
    expect(serializeError({ code: 'E' })).toEqual({ code: 'E' });
    expect(serializeError(undefined)).toBeUndefined();
  });
});
