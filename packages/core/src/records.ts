/**
 * The durable form of pod and container records, for every records plugin: one JSON encoding with
 * a schema version, and zod schemas a record must pass on read. Timestamps (bigint) are the only
 * values JSON cannot hold; they are decoded at their known fields only, so no user-supplied map
 * (labels, annotations, sysctls) can ever be taken for one.
 */
import { z } from 'zod';
import { FailedPreconditionError } from './errors.js';
import type { ContainerConfig, ContainerRecord, PodRecord } from './types.js';

/**
 * The stored shape's version, written into every record as `schemaVersion`.
 * 1 (or absent: criod before versioning): timestamps as {"$bigint": "<digits>"}.
 * 2: timestamps as decimal strings.
 */
export const RECORD_SCHEMA_VERSION = 2;

/** A record written by a newer criod: reading it would be guessing, so the start is refused. */
export class NewerRecordError extends FailedPreconditionError {
  constructor(
    readonly source: string,
    readonly version: number,
  ) {
    super(
      `record ${source} has schema version ${version}, newer than ${RECORD_SCHEMA_VERSION}, the newest this criod reads: ` +
        'run the criod that wrote it, or move the file aside',
    );
  }
}

const digits = z.string().regex(/^-?\d+$/, 'a decimal integer');
/** Nanoseconds: a decimal string (version 2), or {"$bigint": "<digits>"} as version 1 wrote them. */
const nanos = z.union([digits, z.strictObject({ $bigint: digits }).transform((o) => o.$bigint)]).transform((s) => BigInt(s));
const stringMap = z.record(z.string(), z.string());
const namespaceMode = z.enum(['pod', 'container', 'node', 'target']);
const namespaceOptions = z.object({ network: namespaceMode, pid: namespaceMode, ipc: namespaceMode, targetId: z.string() });
const securityProfile = z.object({ type: z.enum(['runtimeDefault', 'unconfined', 'localhost']), localhostRef: z.string() });
const selinux = z.object({ user: z.string(), role: z.string(), type: z.string(), level: z.string() });
const resources = z.object({
  cpuPeriod: z.number(),
  cpuQuota: z.number(),
  cpuShares: z.number(),
  memoryLimitInBytes: z.number(),
  oomScoreAdj: z.number(),
  cpusetCpus: z.string(),
  cpusetMems: z.string(),
  hugepageLimits: z.array(z.object({ pageSize: z.string(), limit: z.number() })),
  unified: stringMap,
  memorySwapLimitInBytes: z.number(),
});

const podConfig = z.object({
  metadata: z.object({ name: z.string(), uid: z.string(), namespace: z.string(), attempt: z.number() }),
  hostname: z.string(),
  logDirectory: z.string(),
  dnsConfig: z.object({ servers: z.array(z.string()), searches: z.array(z.string()), options: z.array(z.string()) }).optional(),
  portMappings: z.array(z.object({ protocol: z.enum(['tcp', 'udp', 'sctp']), containerPort: z.number(), hostPort: z.number(), hostIp: z.string() })),
  labels: stringMap,
  annotations: stringMap,
  linux: z.object({
    cgroupParent: z.string(),
    securityContext: z.object({
      namespaceOptions,
      privileged: z.boolean(),
      readonlyRootfs: z.boolean(),
      runAsUser: z.number().optional(),
      runAsGroup: z.number().optional(),
      supplementalGroups: z.array(z.number()),
      seccompProfile: securityProfile.optional(),
      apparmorProfile: securityProfile.optional(),
      selinux: selinux.optional(),
    }),
    sysctls: stringMap,
    overhead: resources.optional(),
    resources: resources.optional(),
  }),
});

export const podRecordSchema: z.ZodType<PodRecord> = z.object({
  id: z.string(),
  config: podConfig,
  runtimeHandler: z.string(),
  state: z.enum(['ready', 'notready']),
  createdAt: nanos,
  namespaces: z.array(z.object({ kind: z.enum(['net', 'ipc', 'uts']), path: z.string() })),
  ips: z.array(z.string()),
  creating: z.boolean(),
  files: z.object({ dir: z.string(), resolvConf: z.string(), hosts: z.string(), hostname: z.string(), shm: z.string() }),
  shmSizeBytes: z.number(),
  infraContainerId: z.string().optional(),
  // Optional, so records of criod before it read as they are (schema version 2 unchanged).
  securityState: z.record(z.string(), stringMap).optional(),
});

const containerConfig = z.object({
  metadata: z.object({ name: z.string(), attempt: z.number() }),
  image: z.string(),
  command: z.array(z.string()),
  args: z.array(z.string()),
  workingDir: z.string(),
  envs: z.array(z.object({ key: z.string(), value: z.string() })),
  mounts: z.array(
    z.object({
      containerPath: z.string(),
      hostPath: z.string(),
      readonly: z.boolean(),
      selinuxRelabel: z.boolean(),
      propagation: z.enum(['private', 'rslave', 'rshared']),
    }),
  ),
  devices: z.array(z.object({ containerPath: z.string(), hostPath: z.string(), permissions: z.string() })),
  labels: stringMap,
  annotations: stringMap,
  logPath: z.string(),
  stdin: z.boolean(),
  stdinOnce: z.boolean(),
  tty: z.boolean(),
  stopSignal: z.string(),
  linux: z.object({
    resources: resources.optional(),
    securityContext: z.object({
      capabilities: z.object({ add: z.array(z.string()), drop: z.array(z.string()), addAmbient: z.array(z.string()) }),
      privileged: z.boolean(),
      namespaceOptions,
      selinux: selinux.optional(),
      runAsUser: z.number().optional(),
      runAsGroup: z.number().optional(),
      runAsUsername: z.string(),
      readonlyRootfs: z.boolean(),
      supplementalGroups: z.array(z.number()),
      noNewPrivs: z.boolean(),
      maskedPaths: z.array(z.string()),
      readonlyPaths: z.array(z.string()),
      seccompProfile: securityProfile.optional(),
      apparmorProfile: securityProfile.optional(),
    }),
  }),
});

/** A CreateContainer config as criod stores it (records, checkpoint archives). */
export const containerConfigSchema: z.ZodType<ContainerConfig> = containerConfig;

export const containerRecordSchema: z.ZodType<ContainerRecord> = z.object({
  id: z.string(),
  podId: z.string(),
  name: z.string(),
  attempt: z.number(),
  state: z.enum(['created', 'running', 'exited', 'unknown']),
  createdAt: nanos,
  startedAt: nanos,
  finishedAt: nanos,
  exitCode: z.number(),
  reason: z.string(),
  message: z.string(),
  image: z.string(),
  imageRef: z.string(),
  imageId: z.string(),
  labels: stringMap,
  annotations: stringMap,
  logPath: z.string(),
  config: containerConfig,
  stopSignal: z.string(),
  resources: resources.optional(),
  user: z.object({ uid: z.number(), gid: z.number(), additionalGids: z.array(z.number()) }),
});

/** The stored text of a record: its schema version first, bigints as decimal strings. */
export function encodeRecord(record: { id: string }): string {
  return JSON.stringify({ schemaVersion: RECORD_SCHEMA_VERSION, ...record }, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}

const versioned = z.object({ schemaVersion: z.number().int().min(1).default(1) });

/**
 * A record from its stored text. Throws NewerRecordError for a newer schema version; any other
 * error means the record is unreadable (not JSON, or not the shape of `schema`), and says why.
 */
export function decodeRecord<T>(schema: z.ZodType<T>, text: string, source: string): T {
  const raw: unknown = JSON.parse(text);
  const version = versioned.safeParse(raw);
  if (!version.success) throw new Error(z.prettifyError(version.error));
  if (version.data.schemaVersion > RECORD_SCHEMA_VERSION) throw new NewerRecordError(source, version.data.schemaVersion);
  const record = schema.safeParse(raw);
  if (!record.success) throw new Error(z.prettifyError(record.error));
  return record.data;
}
