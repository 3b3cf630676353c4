/**
 * SELinux contexts and MCS levels. Every pod gets its own pair of categories (s0:cX,cY), so
 * processes of one pod cannot touch files labelled for another even though all run as
 * container_t; containers of one pod share their pod's level.
 */
import { randomInt } from 'node:crypto';
import { FailedPreconditionError, InvalidArgumentError } from '@criod/core';

export interface SelinuxContext {
  user: string;
  role: string;
  type: string;
  level: string;
}

const identifier = /^[A-Za-z0-9_.]+$/;
const categories = String.raw`c\d+(?:\.c\d+)?(?:,c\d+(?:\.c\d+)?)*`;
const sensitivity = String.raw`s\d+(?::${categories})?`;
/** An MLS/MCS level or range: s0, s0:c1,c2, s0-s0:c0.c1023. */
const levelPattern = new RegExp(`^${sensitivity}(?:-${sensitivity})?$`);

/** Check the fields a request set (empty ones mean "the default"). */
export function validateSelinuxOptions(options: Partial<SelinuxContext>, what: string): void {
  for (const field of ['user', 'role', 'type'] as const) {
    const value = options[field];
    if (value && !identifier.test(value)) throw new InvalidArgumentError(`${what}: SELinux ${field} "${value}" is not a valid identifier`);
  }
  if (options.level && !levelPattern.test(options.level))
    throw new InvalidArgumentError(`${what}: SELinux level "${options.level}" is not a valid MLS level such as s0:c1,c2`);
}

/** "user:role:type:level" (the level may itself hold colons). */
export function parseSelinuxLabel(label: string): SelinuxContext {
  const [user = '', role = '', type = '', ...level] = label.split(':');
  const context = { user, role, type, level: level.join(':') };
  if (!user || !role || !type || !context.level) throw new InvalidArgumentError(`SELinux label "${label}" is not user:role:type:level`);
  validateSelinuxOptions(context, `SELinux label "${label}"`);
  return context;
}

export function formatSelinuxLabel(c: SelinuxContext): string {
  return `${c.user}:${c.role}:${c.type}:${c.level}`;
}

/** Pod id → MCS level, with each generated level given to one pod only. */
export class McsLevels {
  private readonly byPod = new Map<string, string>();
  /** Level → how many pods use it (pods may share a level they asked for). */
  private readonly users = new Map<string, number>();

  /** @param categoryCount categories c0…c(n-1) to draw pairs from; 1024 as in container-selinux. */
  constructor(private readonly categoryCount = 1024) {}

  levelOf(podId: string): string | undefined {
    return this.byPod.get(podId);
  }

  get size(): number {
    return this.byPod.size;
  }

  /**
   * The pod's level: the one it already has, else `requested` when given (a level the pod asked
   * for, or the one recorded before a restart), else a fresh pair no other pod uses.
   */
  reserve(podId: string, requested = ''): string {
    const held = this.byPod.get(podId);
    if (held !== undefined) return held;
    if (requested) validateSelinuxOptions({ level: requested }, `pod ${podId}`);
    const level = requested || this.unusedLevel(podId);
    this.byPod.set(podId, level);
    this.users.set(level, (this.users.get(level) ?? 0) + 1);
    return level;
  }

  /** Free the pod's level; releasing a pod without one is not an error. */
  release(podId: string): void {
    const level = this.byPod.get(podId);
    if (level === undefined) return;
    this.byPod.delete(podId);
    const left = (this.users.get(level) ?? 1) - 1;
    if (left > 0) this.users.set(level, left);
    else this.users.delete(level);
  }

  private unusedLevel(podId: string): string {
    const n = this.categoryCount;
    // Random pairs are almost always free; fall back to a scan when the space is crowded.
    for (let attempt = 0; attempt < 64; attempt++) {
      const a = randomInt(n);
      const b = randomInt(n);
      if (a === b) continue;
      const level = pairLevel(Math.min(a, b), Math.max(a, b));
      if (!this.users.has(level)) return level;
    }
    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++) {
        const level = pairLevel(a, b);
        if (!this.users.has(level)) return level;
      }
    }
    throw new FailedPreconditionError(`no free SELinux MCS level for pod ${podId}: all ${(n * (n - 1)) / 2} category pairs are in use`);
  }
}

function pairLevel(a: number, b: number): string {
  return `s0:c${a},c${b}`;
}
