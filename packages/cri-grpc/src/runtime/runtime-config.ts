import type { CriService } from '@criod/core';
import {
  CgroupDriver,
  type RuntimeConfigRequest,
  type RuntimeConfigResponse,
  type UpdateRuntimeConfigRequest,
  type UpdateRuntimeConfigResponse,
} from '../gen/runtime/v1/api.js';

export function runtimeConfig(core: CriService) {
  return (_req: RuntimeConfigRequest): RuntimeConfigResponse => ({
    linux: { cgroupDriver: core.runtimeConfig().cgroupDriver === 'systemd' ? CgroupDriver.SYSTEMD : CgroupDriver.CGROUPFS },
  });
}

/** UpdateRuntimeConfig: the pod CIDR is the only runtime config kubelet sends. */
export function updateRuntimeConfig(core: CriService) {
  return async (req: UpdateRuntimeConfigRequest): Promise<UpdateRuntimeConfigResponse> => {
    await core.updateRuntimeConfig(req.runtimeConfig?.networkConfig?.podCidr ?? '');
    return {};
  };
}
