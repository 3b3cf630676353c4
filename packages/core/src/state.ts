import { EventEmitter } from 'node:events';
import { StateChecks } from './containers/state-checks.js';
import { StatsCache } from './containers/stats-cache.js';
import type { ContainerRecord, PodRecord } from './types.js';
import { KeyedMutex } from './util/keyed-mutex.js';
import { NameRegistry } from './util/names.js';

/** A RunPodSandbox still working, or finished after its caller gave up (kubelet's deadline). */
export interface PodCreation {
  id: string;
  /** Settles when the creation finished; true when the pod was made. */
  done: Promise<boolean>;
  /** The caller cancelled or its deadline passed: a retry of the same request may take the pod. */
  callerGone(): boolean;
}

/** criod's in-memory view, rebuilt from the store at restore. */
export class CoreState {
  readonly pods = new Map<string, PodRecord>();
  readonly containers = new Map<string, ContainerRecord>();
  readonly podNames = new NameRegistry();
  /** Container names are unique per pod: the key is "<podId>/<name>". */
  readonly containerNames = new NameRegistry();
  /** How current each container record is, so reads ask the runtime only when needed. */
  readonly stateChecks = new StateChecks();
  /**
   * Exited containers whose runtime state is already deleted (lookup.ts releaseExited), so
   * RemoveContainer need not ask the runtime again. In memory only: after a restart a removal
   * deletes from the runtime as before, which is idempotent.
   */
  readonly releasedContainers = new Set<string>();
  /** Stats reads shared for a short while between calls. */
  readonly statsCache = new StatsCache();
  /** One operation at a time per pod or container id. */
  readonly locks = new KeyedMutex();
  /** Pod name → creation in flight or unclaimed. */
  readonly podCreations = new Map<string, PodCreation>();
  /** Container lifecycle events ('container'); any number of GetContainerEvents streams listen. */
  readonly events = new EventEmitter().setMaxListeners(0);
  /** The node's pod CIDR as kubelet last sent it in UpdateRuntimeConfig; "" until then. */
  podCidr = '';
}
