import type { CriService } from '@criod/core';
import type { StatusRequest, StatusResponse } from '../gen/runtime/v1/api.js';

export function status(core: CriService) {
  return async (req: StatusRequest): Promise<StatusResponse> => {
    const st = await core.status(req.verbose);
    return {
      status: { conditions: st.conditions.map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message })) },
      info: st.info,
      runtimeHandlers: st.handlers.flatMap((h, i) => {
        const features = { recursiveReadOnlyMounts: h.recursiveReadOnlyMounts, userNamespaces: h.userNamespaces };
        // The first handler is the default one; kubelet also looks it up under the empty name.
        return i === 0
          ? [
              { name: '', features },
              { name: h.name, features },
            ]
          : [{ name: h.name, features }];
      }),
      features: { supplementalGroupsPolicy: false, userNamespacesHostNetwork: false },
    };
  };
}
