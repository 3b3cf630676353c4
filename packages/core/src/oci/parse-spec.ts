import { z } from 'zod';
import { InvalidArgumentError } from '../errors.js';
import type { OciSpec } from './spec.js';

/**
 * What a config.json read from elsewhere (a checkpoint's spec.dump) must hold to be taken as an
 * OciSpec: the fields the runtime-spec REQUIRES in the sections present, each of its type.
 * Fields it does not name pass through: the runtime that runs the spec checks the rest.
 */
const idMapping = z.looseObject({ containerID: z.number(), hostID: z.number(), size: z.number() });

const ociSpecSchema = z.looseObject({
  ociVersion: z.string(),
  process: z
    .looseObject({
      user: z.looseObject({ uid: z.number(), gid: z.number(), additionalGids: z.array(z.number()).optional() }),
      cwd: z.string(),
      args: z.array(z.string()).optional(),
      env: z.array(z.string()).optional(),
    })
    .optional(),
  root: z.looseObject({ path: z.string(), readonly: z.boolean().optional() }).optional(),
  hostname: z.string().optional(),
  domainname: z.string().optional(),
  mounts: z.array(z.looseObject({ destination: z.string(), source: z.string().optional(), options: z.array(z.string()).optional() })).optional(),
  hooks: z.record(z.string(), z.array(z.looseObject({ path: z.string() }))).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  linux: z
    .looseObject({
      uidMappings: z.array(idMapping).optional(),
      gidMappings: z.array(idMapping).optional(),
      namespaces: z.array(z.looseObject({ type: z.string(), path: z.string().optional() })).optional(),
      devices: z.array(z.looseObject({ path: z.string(), type: z.string() })).optional(),
      resources: z.looseObject({}).optional(),
      seccomp: z.looseObject({ defaultAction: z.string() }).optional(),
    })
    .optional(),
});

/** `value` as an OciSpec; InvalidArgument naming `what` and each field at fault when it is not one. */
export function parseOciSpec(value: unknown, what: string): OciSpec {
  const parsed = ociSpecSchema.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError(`${what} is not an OCI runtime spec: ${z.prettifyError(parsed.error)}`);
  // The shape is checked; enumerated strings (namespace types, seccomp actions) are the runtime's to judge.
  return parsed.data as OciSpec;
}
