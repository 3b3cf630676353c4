import type { CriService } from '@criod/core';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyImpl = (req: any) => unknown;

/** ImageService handlers, keyed by the generated method names (pullImage, imageStatus, …). */
export function imageHandlers(_core: CriService): Record<string, AnyImpl> {
  return {};
}
