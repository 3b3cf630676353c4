/**
 * The runtime plugin contract's checks (@criod/core/testing) on real runc and conmon with a
 * busybox rootfs; every instance the kit makes runs over the same dirs, as criod after a restart.
 * The fixture's cleanup removes every container, conmon, cgroup and dir of the run.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { runtimeConformance } from '@criod/core/testing';
import { makeEnv, type TestEnv } from './fixtures.js';

let env: TestEnv | undefined;

describe('oci-runc keeps the runtime plugin contract', () => {
  beforeAll(async () => {
    env = await makeEnv();
  });

  afterAll(async () => {
    await env?.cleanup();
  });

  const checks = runtimeConformance({
    create: () => env!.newRuntime(),
    containerRequest: (id, args) => env!.request(id, { args }),
  });
  for (const check of checks) it(check.name, check.run, 90_000);
});
