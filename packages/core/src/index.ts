export * from './errors.js';
export * from './logger.js';
export * from './types.js';
export * from './plugins.js';
export type * from './oci/spec.js';
export * from './context.js';
export * from './service.js';
export { RECORD_SCHEMA_VERSION, NewerRecordError, containerRecordSchema, decodeRecord, encodeRecord, podRecordSchema } from './records.js';
export type { VersionInfo } from './version.js';
export type { RuntimeCondition, RuntimeStatus, RuntimeConfigInfo } from './status.js';
export { findExecutable } from './which.js';
export { ImageOperations } from './images/index.js';
export type { PodSandboxFilter } from './pods/list-pod-sandbox.js';
export type { PodSandboxStatusResult } from './pods/pod-sandbox-status.js';
export type { RunPodSandboxOptions } from './pods/run-pod-sandbox.js';
export { podFullName } from './pods/validate.js';
export { CoreState } from './state.js';
export { KeyedMutex } from './util/keyed-mutex.js';
export { limiter } from './util/limit.js';
export type { ContainerFilter } from './containers/list-containers.js';
export type { ContainerStatsFilter, ContainerStatsResult, PodNetworkStats, PodStatsResult } from './containers/stats.js';
export type { ContainerStatusResult } from './containers/container-status.js';
export { runningContainer } from './containers/exec-sync.js';
export {
  resolveCapabilities,
  daemonBoundingSet,
  capabilitiesInMask,
  capabilityMask,
  capabilityNames,
  defaultCapabilities,
  type CapabilityRequest,
} from './containers/spec/capabilities.js';
export type { StreamRequest } from './containers/streaming.js';
export { writeFileAtomic, type AtomicWriteOptions } from './util/atomic.js';
export { FileRefusedError, readRegularFile, resolveInRoot } from './util/confined-files.js';
export { ociResources } from './containers/spec/resources.js';
export type { ContainerEvent, ContainerEventListener, ContainerEventType } from './containers/events.js';
export { timed, type OperationEvent, type OperationObserver, type StateCounts } from './observe.js';
export {
  MNT_DETACH,
  MS_BIND,
  MS_REC,
  SyscallError,
  SyscallHelper,
  newSyscallHelper,
  syscallHelper,
  type DaemonOptions,
  type DaemonStart,
  type PinRequest,
} from './linux/syscall-helper.js';
export { isMountPoint, mountFilesystem, unmountFilesystem, unmountMountPoint, type MountRequest } from './util/mount.js';
export { execCommand, type ExecOptions, type ExecResult } from './util/exec.js';
export { parseMountinfo, readMountinfo, topMountAt, unescapeMountField, type MountEntry } from './linux/mountinfo.js';
export { NSFS_MAGIC } from './linux/nsfs.js';
export { errnoOf, isNotFound } from './util/errno.js';
export { parseQuantity } from './util/quantity.js';
