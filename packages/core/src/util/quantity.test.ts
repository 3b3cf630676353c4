import { describe, expect, it } from 'vitest';
import { parseQuantity } from './quantity.js';

describe('parseQuantity', () => {
  it('reads decimal and binary suffixes', () => {
    expect(parseQuantity('1Gi')).toBe(2 ** 30);
    expect(parseQuantity('64Mi')).toBe(64 * 2 ** 20);
    expect(parseQuantity('500k')).toBe(500_000);
    expect(parseQuantity('10M')).toBe(10_000_000);
    expect(parseQuantity('2T')).toBe(2e12);
    expect(parseQuantity('42')).toBe(42);
    expect(parseQuantity(' 1Ki ')).toBe(1024);
  });

  it('keeps fractions for the caller to round', () => {
    expect(parseQuantity('1.5k')).toBe(1500);
    expect(parseQuantity('.5Ki')).toBe(512);
    expect(parseQuantity('100m')).toBeCloseTo(0.1);
  });

  it('refuses what is not a quantity', () => {
    for (const text of ['fast', '', '-1', '1Kb', '1 Gi', '1e3', 'Mi', '1..2']) expect(parseQuantity(text)).toBeUndefined();
  });
});
