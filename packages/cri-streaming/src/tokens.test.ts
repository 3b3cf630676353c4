import { describe, expect, it } from 'vitest';
import { FailedPreconditionError } from '@criod/core';
import { RequestTokens } from './tokens.js';

const execRequest = { kind: 'exec' as const, request: { containerId: 'c', cmd: ['true'], tty: false, stdin: false, stdout: true, stderr: false } };

describe('RequestTokens', () => {
  it('gives the request back once, then never again', () => {
    const tokens = new RequestTokens(60_000, 10);
    const token = tokens.issue(execRequest);
    expect(tokens.consume('exec', token)).toEqual(execRequest);
    expect(tokens.consume('exec', token)).toBeUndefined();
  });

  it('refuses an expired token and a token of another kind (which it burns)', () => {
    let now = 1000;
    const tokens = new RequestTokens(100, 10, () => now);
    const expiring = tokens.issue(execRequest);
    now += 100;
    expect(tokens.consume('exec', expiring)).toBeUndefined();
    const other = tokens.issue(execRequest);
    expect(tokens.consume('attach', other)).toBeUndefined();
    expect(tokens.consume('exec', other)).toBeUndefined();
  });

  it('caps the requests waiting for a client, counting only live ones', () => {
    let now = 0;
    const tokens = new RequestTokens(100, 2, () => now);
    tokens.issue(execRequest);
    tokens.issue(execRequest);
    expect(() => tokens.issue(execRequest)).toThrow(FailedPreconditionError);
    now = 100;
    expect(() => tokens.issue(execRequest)).not.toThrow();
    expect(tokens.size).toBe(1);
  });

  it('makes unguessable, URL-safe tokens', () => {
    const tokens = new RequestTokens(1000, 100);
    const issued = new Set(Array.from({ length: 50 }, () => tokens.issue(execRequest)));
    expect(issued.size).toBe(50);
    for (const token of issued) expect(token).toMatch(/^[A-Za-z0-9_-]{24}$/);
  });
});
