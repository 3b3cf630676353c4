import type { CriService } from '@criod/core';
import type { VersionRequest, VersionResponse } from '../gen/runtime/v1/api.js';

export function version(core: CriService) {
  return (_req: VersionRequest): VersionResponse => core.version();
}
