/**
 * A resident helper process for the system calls Node cannot make (mount, umount2, unshare).
 * Spawning mount(8) or unshare(1) per call costs 10-25 ms on a loaded node, most of it in
 * fork(2) of the large Node process, which also blocks the event loop; one small resident
 * process makes the same calls in well under a millisecond. Where it cannot run (no perl, an
 * architecture without a syscall table here, CRIOD_SYSCALL_HELPER=off) callers spawn the
 * util-linux tools as before: `syscallHelper()` answers undefined.
 */
import { constants } from 'node:os';
import { findExecutable } from '../which.js';
import { ResidentPerl } from './resident-perl.js';
import { SYSCALL_HELPER_SCRIPT } from './syscall-helper-script.js';

/** mount(2), umount2(2), unshare(2) per architecture (asm-generic numbers for arm64). */
const syscallNumbers: Partial<Record<NodeJS.Architecture, [mount: number, umount2: number, unshare: number]>> = {
  x64: [165, 166, 272],
  arm64: [40, 39, 97],
};

export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
export const MNT_DETACH = 2;
const cloneFlags = { net: 0x40000000, ipc: 0x08000000, uts: 0x04000000 } as const;

/** A failed call: the errno's name (EBUSY…) and the step that failed (mount, pin <path>, sysctl key…). */
export class SyscallError extends Error {
  constructor(
    readonly code: string,
    readonly step: string,
    message: string,
  ) {
    super(message);
    this.name = 'SyscallError';
  }
}

export interface PinRequest {
  /** Each namespace to make, and the (existing, empty) file to bind-mount it on. */
  pins: { kind: keyof typeof cloneFlags; path: string }[];
  /** Bring `lo` up in the new network namespace. */
  loopbackUp: boolean;
  /** Written to the new UTS namespace's /proc/sys/kernel/hostname. */
  hostname?: string;
  /** Written inside the new namespaces; a failure names `step`. */
  sysctls: { path: string; value: string; step: string }[];
}

/** Requests older than this mean a stuck helper: it is killed and the next call starts another. */
const requestTimeoutMs = 30_000;

const errnoNames = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));

export class SyscallHelper {
  private readonly process: ResidentPerl;

  constructor(perl: string, numbers: readonly number[]) {
    this.process = new ResidentPerl(
      perl,
      SYSCALL_HELPER_SCRIPT,
      numbers.map(String),
      (code, why) => new SyscallError(code, 'helper', `the syscall helper ${why}`),
    );
  }

  /** mount(2); `cwd` lets relative paths in `data` (overlay dirs) stay short. */
  mount(source: string, target: string, fstype: string, flags: number, data = '', cwd = ''): Promise<void> {
    return this.call(['mount', source, target, fstype, String(flags), data, cwd]);
  }

  /** umount2(2); MNT_DETACH for a lazy unmount. */
  unmount(target: string, flags = 0): Promise<void> {
    return this.call(['umount', target, String(flags)]);
  }

  /** New namespaces, set up from inside and pinned; nothing is pinned when a step fails before. */
  pinNamespaces(req: PinRequest): Promise<void> {
    const flags = req.pins.reduce((f, p) => f | cloneFlags[p.kind], 0);
    return this.call([
      'pin',
      String(flags),
      req.loopbackUp ? '1' : '0',
      req.hostname ?? '',
      String(req.pins.length),
      ...req.pins.flatMap((p) => [p.kind, p.path]),
      String(req.sysctls.length),
      ...req.sysctls.flatMap((s) => [s.path, s.value, s.step]),
    ]);
  }

  /** End the helper (it also ends by itself when criod's end of its stdin closes). */
  close(): void {
    this.process.close();
  }

  private async call(fields: string[]): Promise<void> {
    // The protocol is NUL-separated lines: such a value cannot be sent (nor is it a sane path).
    const bad = fields.find((f) => /[\n\0]/.test(f));
    if (bad !== undefined) throw new SyscallError('EINVAL', fields[0]!, `${JSON.stringify(bad)} holds a newline or NUL`);
    const [errno, step, message] = await this.process.request(fields, requestTimeoutMs);
    if (errno !== '0') throw new SyscallError(errnoNames.get(Number(errno)) ?? `errno ${errno}`, step ?? '', message ?? '');
  }
}

/** A helper of its own (tests); undefined where none can run. */
export async function newSyscallHelper(): Promise<SyscallHelper | undefined> {
  const numbers = syscallNumbers[process.arch];
  if (process.platform !== 'linux' || !numbers || process.env.CRIOD_SYSCALL_HELPER === 'off') return undefined;
  const perl = await findExecutable('perl');
  return perl ? new SyscallHelper(perl, numbers) : undefined;
}

let shared: Promise<SyscallHelper | undefined> | undefined;

/** The process's helper, or undefined where it cannot run (then spawn the util-linux tools). */
export function syscallHelper(): Promise<SyscallHelper | undefined> {
  shared ??= newSyscallHelper();
  return shared;
}
