/**
 * Single-use, expiring tokens: the CRI Exec/Attach/PortForward RPC stores its request behind one
 * and answers the URL; the first connection to the URL takes the request out.
 */
import { randomBytes } from 'node:crypto';
import { FailedPreconditionError } from '@criod/core';
import type { AttachRequest, ExecRequest, PortForwardRequest } from './backend.js';

export type PendingRequest =
  { kind: 'exec'; request: ExecRequest } | { kind: 'attach'; request: AttachRequest } | { kind: 'portforward'; request: PortForwardRequest };

export type RequestKind = PendingRequest['kind'];

interface Entry {
  pending: PendingRequest;
  expiresAt: number;
}

export class RequestTokens {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxPending: number,
    private readonly now: () => number = Date.now,
  ) {}

  issue(pending: PendingRequest): string {
    this.dropExpired();
    if (this.entries.size >= this.maxPending) {
      throw new FailedPreconditionError(`${this.entries.size} streaming requests are waiting for their client (the limit); retry when some are used or expire`);
    }
    const token = randomBytes(18).toString('base64url');
    this.entries.set(token, { pending, expiresAt: this.now() + this.ttlMs });
    return token;
  }

  /** The request behind the token, once: unknown, used, expired or of another kind = undefined. */
  consume(kind: RequestKind, token: string): PendingRequest | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    this.entries.delete(token);
    if (entry.expiresAt <= this.now() || entry.pending.kind !== kind) return undefined;
    return entry.pending;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Entries expire in insertion order (one TTL for all), so stop at the first live one. */
  private dropExpired(): void {
    const now = this.now();
    for (const [token, entry] of this.entries) {
      if (entry.expiresAt > now) break;
      this.entries.delete(token);
    }
  }
}
