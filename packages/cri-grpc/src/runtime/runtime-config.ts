import type { CriService } from '@criod/core';
import { CgroupDriver, type RuntimeConfigRequest, type RuntimeConfigResponse } from '../gen/runtime/v1/api.js';

export function runtimeConfig(core: CriService) {
  return (_req: RuntimeConfigRequest): RuntimeConfigResponse => ({
    linux: { cgroupDriver: core.runtimeConfig().cgroupDriver === 'systemd' ? CgroupDriver.SYSTEMD : CgroupDriver.CGROUPFS },
  });
}
