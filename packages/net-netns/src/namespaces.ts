/**
 * Persistent namespaces pinned by bind mounts, the way iproute2 pins /var/run/netns/<name>.
 *
 * create() makes every requested namespace of a pod through core's resident syscall helper (no
 * spawn; see @criod/core's syscallHelper) or, where it cannot run, with ONE spawn:
 *   unshare --net=<pin> --ipc=<pin> --uts=<pin> -- sh -c <fixed setup script> <ops...>
 * util-linux unshare bind-mounts /proc/<pid>/ns/<kind> onto each (pre-created) pin file and then
 * runs the script inside the new namespaces: `ip link set lo up`, the hostname and the sysctls
 * written to /proc/sys. The script is constant; every value reaches it as an argument.
 */
import { lstat, mkdir, readdir, realpath, statfs, unlink, writeFile } from 'node:fs/promises';
import * as nodePath from 'node:path';
import {
  AlreadyExistsError,
  CriodError,
  DeadlineExceededError,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  NSFS_MAGIC,
  errnoOf,
  errorMessage,
  MNT_DETACH,
  nowNs,
  readMountinfo,
  topMountAt,
  SyscallError,
  syscallHelper,
  unmountFilesystem,
  type Logger,
  type NamespaceCreateOptions,
  type NamespaceKind,
  type NamespacePlugin,
  type NetworkStatsSample,
  type PinnedNamespace,
} from '@criod/core';
import { ExecaError, execa } from 'execa';
import { INSTANCE_ID } from './instance.js';
import { netDevThroughProcess, parseNetDev } from './netdev.js';
import { planSysctls, type SysctlSetting } from './sysctl.js';

export const PLUGIN_NAME = '@criod/net-netns';
/**
 * Every pin criod makes is named `<prefix><instance>-<id>`; nothing else is ever deleted. Pins of
 * criod before instance ids (`<prefix><id>`) are still released when a record names them.
 */
export const NAME_PREFIX = 'criod-';
export const NAMESPACE_KINDS: readonly NamespaceKind[] = ['net', 'ipc', 'uts'];

const PIN_NAME = /^criod-[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const POD_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const HOSTNAME_MAX = 64;
const STEP_MARK = 'criod-netns-step: ';
const STEP_EXIT = 97;

/**
 * The setup run inside the new namespaces. Ops come as arguments:
 *   lo | hostname <name> | sysctl <path under /proc/sys> <value> <key>
 * On failure it names the step on stderr and exits 97.
 */
export const SETUP_SCRIPT = [
  `fail() { printf '\\n${STEP_MARK}%s\\n' "$1" >&2; exit ${STEP_EXIT}; }`,
  'while [ "$#" -gt 0 ]; do',
  '  case "$1" in',
  '    lo) ip link set lo up || fail lo; shift ;;',
  '    hostname) printf \'%s\' "$2" > /proc/sys/kernel/hostname || fail hostname; shift 2 ;;',
  '    sysctl) printf \'%s\\n\' "$3" > "/proc/sys/$2" || fail "sysctl $4"; shift 4 ;;',
  '    *) fail "unknown op $1" ;;',
  '  esac',
  'done',
].join('\n');

export interface NetnsOptions {
  /** This criod among others on the host (8 hex digits): its pins carry it, so it never takes another's for orphans. */
  instanceId: string;
  /** Where network namespaces are pinned (iproute2's dir by default). */
  netnsDir: string;
  /** Where ipc and uts namespaces are pinned, under <pinDir>/<kind>/. */
  pinDir: string;
  /** Limit for each spawned command. */
  timeoutMs: number;
  /** Use the resident syscall helper where it runs (else always spawn). */
  useSyscallHelper?: boolean;
  logger: Logger;
}

interface PlannedPin {
  kind: NamespaceKind;
  path: string;
}

type Probe = 'missing' | 'file' | 'nsfs';

function isKind(kind: unknown): kind is NamespaceKind {
  return (NAMESPACE_KINDS as readonly unknown[]).includes(kind);
}

/** The pin name of a pod: `criod-<instance>-` and the first 32 hex digits of a 64-hex pod id (else the id). */
export function pinName(instanceId: string, podId: string): string {
  if (!POD_ID.test(podId)) throw new InvalidArgumentError(`pod id "${podId}" cannot name a namespace`);
  return `${instancePrefix(instanceId)}${HEX64.test(podId) ? podId.slice(0, 32) : podId}`;
}

/** What the names of one instance's pins start with. */
function instancePrefix(instanceId: string): string {
  if (!INSTANCE_ID.test(instanceId)) throw new InvalidArgumentError(`"${instanceId}" is not an instance id (8 hex digits)`);
  return `${NAME_PREFIX}${instanceId}-`;
}

export class NetnsNamespaces implements NamespacePlugin {
  readonly name = PLUGIN_NAME;
  readonly netnsDir: string;
  readonly pinDir: string;
  readonly instanceId: string;
  /** What this instance's pin names start with. */
  private readonly namePrefix: string;
  private readonly timeoutMs: number;
  private readonly useSyscallHelper: boolean;
  private readonly logger: Logger;
  /** Mount-point dirs already made shared bind mounts, by dir. */
  private readonly prepared = new Map<string, Promise<void>>();
  /** Paths waiting for the next shared `umount -l` spawn. */
  private umountBatch: { paths: Set<string>; done: Promise<void> } | undefined;

  constructor(options: NetnsOptions) {
    this.netnsDir = nodePath.resolve(options.netnsDir);
    this.pinDir = nodePath.resolve(options.pinDir);
    this.namePrefix = instancePrefix(options.instanceId);
    this.instanceId = options.instanceId;
    this.timeoutMs = options.timeoutMs;
    this.useSyscallHelper = options.useSyscallHelper ?? true;
    this.logger = options.logger;
  }

  /** The dir pins of a kind live in. */
  dirFor(kind: NamespaceKind): string {
    return kind === 'net' ? this.netnsDir : nodePath.join(this.pinDir, kind);
  }

  /** The pin path of a pod's namespace of a kind. */
  pathFor(podId: string, kind: NamespaceKind): string {
    return nodePath.join(this.dirFor(kind), pinName(this.instanceId, podId));
  }

  pinsFor(podId: string): PinnedNamespace[] {
    return NAMESPACE_KINDS.map((kind) => ({ kind, path: this.pathFor(podId, kind) }));
  }

  async create(podId: string, kinds: NamespaceKind[], options: NamespaceCreateOptions = {}): Promise<PinnedNamespace[]> {
    // Validate everything before touching anything.
    for (const kind of kinds) {
      if (!isKind(kind)) throw new InvalidArgumentError(`unknown namespace kind "${String(kind)}"`);
    }
    const wanted = new Set(kinds);
    const sysctls = planSysctls(options.sysctls, wanted);
    const hostname = options.hostname || undefined;
    if (hostname !== undefined && wanted.has('uts')) {
      if (hostname.length > HOSTNAME_MAX || !HOSTNAME.test(hostname)) {
        throw new InvalidArgumentError(`hostname "${hostname}" is not a valid host name (RFC 1123, at most ${HOSTNAME_MAX} characters)`);
      }
    }
    const pins: PlannedPin[] = this.pinsFor(podId).filter((p) => wanted.has(p.kind));
    if (pins.length === 0) return [];

    const started = process.hrtime.bigint();
    for (const pin of pins) await this.prepare(pin.kind);
    const created: string[] = [];
    try {
      for (const pin of pins) {
        await this.createPinFile(pin, podId);
        created.push(pin.path);
      }
      await this.pin(podId, pins, hostname !== undefined && wanted.has('uts') ? hostname : undefined, sysctls);
    } catch (err) {
      try {
        await this.releasePaths(created);
      } catch (cleanupErr) {
        this.logger.error({ podId, paths: created, err: errorMessage(cleanupErr) }, 'cleanup after failed create left pins behind');
        if (err instanceof Error) err.message += `; cleanup of ${created.join(', ')} also failed: ${errorMessage(cleanupErr)}`;
      }
      throw err;
    }
    const pinned = pins.map(({ kind, path }) => ({ kind, path }));
    this.logger.debug({ podId, pinned, ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'namespaces created');
    return pinned;
  }

  async state(ns: PinnedNamespace): Promise<'open' | 'closed'> {
    if (!isKind(ns.kind)) throw new InvalidArgumentError(`unknown namespace kind "${String(ns.kind)}"`);
    return this.stateOf(ns, 3);
  }

  private async stateOf(ns: PinnedNamespace, tries: number): Promise<'open' | 'closed'> {
    const path = ns.path;
    try {
      const st = await lstat(path);
      if (!st.isFile()) return 'closed';
      if ((await statfs(path)).type !== NSFS_MAGIC) return 'closed';
      const [real, mounts] = await Promise.all([realpath(path), readMountinfo()]);
      const top = topMountAt(mounts, real);
      // statfs said nsfs but nothing is mounted there: a concurrent release got there first.
      if (!top || top.fstype !== 'nsfs') return 'closed';
      const m = /^([a-z_]+):\[(\d+)\]$/.exec(top.root);
      if (!m) throw new InternalError(`namespace pin ${path}: unexpected nsfs mount root "${top.root}"`);
      if (m[1] !== ns.kind) {
        throw new FailedPreconditionError(`namespace pin ${path} holds a ${m[1]} namespace, not ${ns.kind}`);
      }
      if (m[2] !== String(st.ino)) {
        // Re-mounted between our lstat and the mount table read: answer for what is there now.
        if (tries > 1) return this.stateOf(ns, tries - 1);
        throw new InternalError(`namespace pin ${path}: keeps changing under us (inode ${st.ino}, mounted ${top.root})`);
      }
      return 'open';
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return 'closed';
      if (err instanceof CriodError) throw err;
      throw new InternalError(`namespace pin ${path}: ${errorMessage(err)}`, { cause: err });
    }
  }

  async release(ns: PinnedNamespace): Promise<void> {
    await this.assertOwned(ns);
    await this.releasePaths([ns.path]);
    this.logger.debug({ ns }, 'namespace released');
  }

  /** This instance's pins only: the dirs may be shared with other criods (netns_dir is by default). */
  async list(): Promise<PinnedNamespace[]> {
    const out: PinnedNamespace[] = [];
    for (const kind of NAMESPACE_KINDS) {
      const dir = this.dirFor(kind);
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') continue;
        throw new InternalError(`listing namespace pins in ${dir}: ${errorMessage(err)}`, { cause: err });
      }
      for (const e of entries) {
        if (e.isFile() && e.name.startsWith(this.namePrefix) && PIN_NAME.test(e.name)) out.push({ kind, path: nodePath.join(dir, e.name) });
      }
    }
    return out.sort((a, b) => a.path.localeCompare(b.path));
  }

  /**
   * /proc/net/dev as seen from inside the namespace: through /proc/<pid> of a hinted process that
   * lives in it (no spawn), else by entering it. A pinned namespace may hold no process at all,
   * and Node cannot setns(2), so that costs one spawn: nsenter joins it and execs cat.
   */
  async networkStats(ns: PinnedNamespace, hint?: { pids: number[] }): Promise<NetworkStatsSample> {
    if (ns.kind !== 'net') throw new InvalidArgumentError(`network stats need a net namespace, not ${String(ns.kind)}`);
    const timestamp = nowNs();
    const direct = hint?.pids.length ? await netDevThroughProcess(ns.path, hint.pids).catch(() => undefined) : undefined;
    if (direct !== undefined) return { timestamp, interfaces: parseNetDev(direct) };
    try {
      const { stdout } = await execa('nsenter', [`--net=${ns.path}`, '--', 'cat', '/proc/net/dev'], this.execOptions());
      return { timestamp, interfaces: parseNetDev(stdout) };
    } catch (err) {
      throw this.spawnError(err, 'step "read /proc/net/dev" (nsenter)', ns.path);
    }
  }

  async info(): Promise<Record<string, unknown>> {
    const helper = await this.syscalls();
    return {
      method: helper ? 'syscall-helper' : 'unshare',
      methodDetail: helper
        ? "criod's resident syscall helper: unshare(2) in a forked child, set up from inside, bind-mounted pins; release: umount2(MNT_DETACH) + unlink; no spawn"
        : 'util-linux unshare --net/--ipc/--uts=<pin> sh -c <setup>: one spawn per pod; release: umount -l + unlink',
      netnsDir: this.netnsDir,
      pinDir: this.pinDir,
      instanceId: this.instanceId,
      namePrefix: this.namePrefix,
    };
  }

  /** The resident syscall helper, unless configured off or unable to run here. */
  private async syscalls() {
    return this.useSyscallHelper ? syscallHelper() : undefined;
  }

  /** Refuse anything criod did not pin itself: outside its dirs, or not named criod-*. */
  private async assertOwned(ns: PinnedNamespace): Promise<void> {
    if (!isKind(ns.kind)) throw new InvalidArgumentError(`unknown namespace kind "${String(ns.kind)}"`);
    const path = ns.path;
    const refuse = (why: string) => new InvalidArgumentError(`refusing to release ${path}: ${why}; only namespaces criod pinned itself are deleted`);
    if (typeof path !== 'string' || !nodePath.isAbsolute(path) || nodePath.normalize(path) !== path) {
      throw refuse('not a normalized absolute path');
    }
    if (!PIN_NAME.test(nodePath.basename(path))) throw refuse(`its name does not start with "${NAME_PREFIX}"`);
    const dir = nodePath.dirname(path);
    const expected = this.dirFor(ns.kind);
    if (dir === expected) return;
    // The same dir reached through symlinks (/var/run vs /run) is fine.
    const [a, b] = await Promise.all([realpath(dir).catch(() => undefined), realpath(expected).catch(() => undefined)]);
    if (a === undefined || a !== b) throw refuse(`it is not in ${expected}`);
  }

  /**
   * Make the dir holding pins of a kind a shared bind mount of itself, as iproute2 does for
   * /var/run/netns: pins then propagate to mount namespaces cloned later (runc joins by path)
   * and their unmounts propagate too. Done once per dir per process.
   */
  private prepare(kind: NamespaceKind): Promise<void> {
    const mountDir = kind === 'net' ? this.netnsDir : this.pinDir;
    let p = this.prepared.get(mountDir);
    if (!p) {
      p = this.prepareDir(mountDir, this.dirFor(kind)).catch((err: unknown) => {
        this.prepared.delete(mountDir);
        throw err;
      });
      this.prepared.set(mountDir, p);
    }
    return p.then(() => mkdir(this.dirFor(kind), { recursive: true, mode: 0o755 }).then(() => undefined));
  }

  private async prepareDir(mountDir: string, pinsDir: string): Promise<void> {
    try {
      await mkdir(pinsDir, { recursive: true, mode: 0o755 });
      const real = await realpath(mountDir);
      const top = topMountAt(await readMountinfo(), real);
      if (!top) await this.run('mount', ['--rbind', real, real], `bind-mount ${real} onto itself`, real);
      if (!top || !top.optional.some((f) => f.startsWith('shared:'))) {
        await this.run('mount', ['--make-rshared', real], `make ${real} a shared mount`, real);
      }
      this.logger.debug({ dir: real, wasMountPoint: Boolean(top) }, 'namespace pin dir prepared');
    } catch (err) {
      if (err instanceof CriodError) throw err;
      throw new InternalError(`preparing namespace pin dir ${mountDir}: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** Create the empty pin file (mode 0, as iproute2); a closed leftover of ours is replaced. */
  private async createPinFile(pin: PlannedPin, podId: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await writeFile(pin.path, '', { flag: 'wx', mode: 0 });
        return;
      } catch (err) {
        if (errnoOf(err) !== 'EEXIST' || attempt > 0) {
          throw new InternalError(`creating namespace pin file ${pin.path}: ${errorMessage(err)}`, { cause: err });
        }
      }
      if ((await this.state(pin)) === 'open') {
        throw new AlreadyExistsError(`${pin.kind} namespace of pod ${podId} is already pinned at ${pin.path}`);
      }
      this.logger.warn({ path: pin.path }, 'replacing a closed leftover namespace pin');
      await this.releasePaths([pin.path]);
    }
  }

  /**
   * New namespaces, set up from inside and pinned: through the resident syscall helper (no
   * spawn), else one spawn of `unshare ... sh -c <setup>`.
   */
  private async pin(podId: string, pins: PlannedPin[], hostname: string | undefined, sysctls: SysctlSetting[]): Promise<void> {
    const what = `creating namespaces for pod ${podId}`;
    const failed = (step: string, detail: string) => this.stepError(what, step, detail, pins, hostname, sysctls);
    const helper = await this.syscalls();
    if (helper) {
      try {
        await helper.pinNamespaces({
          pins,
          loopbackUp: pins.some((p) => p.kind === 'net'),
          hostname,
          sysctls: sysctls.map((s) => ({ path: s.path, value: s.value, step: `sysctl ${s.key}` })),
        });
        return;
      } catch (err) {
        if (!(err instanceof SyscallError)) throw err;
        throw failed(err.step, `${err.code}: ${err.message}`);
      }
    }
    const ops: string[] = [];
    if (pins.some((p) => p.kind === 'net')) ops.push('lo');
    if (hostname !== undefined) ops.push('hostname', hostname);
    for (const s of sysctls) ops.push('sysctl', s.path, s.value, s.key);
    const args = [...pins.map((p) => `--${p.kind}=${p.path}`), '--', 'sh', '-c', SETUP_SCRIPT, 'criod-netns-setup', ...ops];
    let stderr: string;
    try {
      await execa('unshare', args, this.execOptions());
      return;
    } catch (err) {
      if (!(err instanceof ExecaError) || err.timedOut || err.code === 'ENOENT' || err.exitCode === undefined) {
        throw this.spawnError(err, `${what}: unshare`, pins.map((p) => p.path).join(', '));
      }
      stderr = String(err.stderr ?? '').trim();
    }
    const mark = stderr.lastIndexOf(STEP_MARK);
    const detail = (mark >= 0 ? stderr.slice(0, mark) : stderr).trim().split('\n').filter(Boolean).join('; ');
    if (mark >= 0)
      throw failed(
        stderr
          .slice(mark + STEP_MARK.length)
          .split('\n')[0]
          ?.trim() ?? '',
        detail,
      );
    // unshare's own failure: "unshare: mount /proc/N/ns/ipc on <pin> failed: ..." or "unshare failed: ...".
    const mount = /mount \S+ on (.+?) failed/.exec(stderr);
    throw failed(mount ? `pin ${mount[1]}` : 'unshare', detail || 'no output');
  }

  /** The error of a failed setup step: a bad hostname or sysctl is the caller's, the rest ours. */
  private stepError(what: string, step: string, detail: string, pins: PlannedPin[], hostname: string | undefined, sysctls: SysctlSetting[]): CriodError {
    const pathOf = (kind: NamespaceKind) => pins.find((p) => p.kind === kind)?.path ?? '';
    if (step === 'lo') return new InternalError(`${what}: step "set lo up" failed in ${pathOf('net')}: ${detail}`);
    if (step === 'hostname') return new InvalidArgumentError(`${what}: step "set hostname ${hostname ?? ''}" failed in ${pathOf('uts')}: ${detail}`);
    if (step.startsWith('sysctl ')) {
      const key = step.slice('sysctl '.length);
      const s = sysctls.find((x) => x.key === key);
      return new InvalidArgumentError(`${what}: step "set sysctl ${key}=${s?.value ?? ''}" failed in ${s ? pathOf(s.kind) : '?'}: ${detail}`);
    }
    if (step.startsWith('pin ')) return new InternalError(`${what}: step "pin" failed for ${step.slice('pin '.length)}: ${detail}`);
    if (step === 'unshare') return new InternalError(`${what}: step "unshare" failed (${pins.map((p) => p.path).join(', ')}): ${detail}`);
    return new InternalError(`${what}: step "${step}" failed: ${detail}`);
  }

  /** Whether a path is absent, a plain file or an nsfs (namespace) mount of any type. */
  private async probe(path: string): Promise<Probe> {
    try {
      return (await statfs(path)).type === NSFS_MAGIC ? 'nsfs' : 'file';
    } catch (err) {
      if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return 'missing';
      throw new InternalError(`namespace pin ${path}: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** Unmount (lazily, one spawn for all) and delete pins; absent or plain files are fine. */
  private async releasePaths(paths: readonly string[]): Promise<void> {
    let mounted: string[] = [];
    for (const p of paths) if ((await this.probe(p)) === 'nsfs') mounted.push(p);
    // A pin mounted more than once needs one umount per layer; bounded, normally one round.
    for (let round = 0; mounted.length > 0; round++) {
      if (round >= 8) throw new InternalError(`unmounting namespace pins ${mounted.join(', ')}: still mounted`);
      await this.umountLazy(mounted).catch(async (err: unknown) => {
        // Lost a race with another release? Fine if nothing is mounted any more.
        for (const p of mounted) if ((await this.probe(p)) === 'nsfs') throw err;
      });
      const still: string[] = [];
      for (const p of mounted) if ((await this.probe(p)) === 'nsfs') still.push(p);
      mounted = still;
    }
    for (const p of paths) {
      try {
        await unlink(p);
      } catch (err) {
        const code = errnoOf(err);
        if (code === 'ENOENT') continue;
        if (code === 'EBUSY') {
          // Something other than a namespace is mounted on our pin: unmount it too.
          await unmountFilesystem(p, { lazy: true }).catch((e: unknown) => {
            throw new InternalError(`unmounting what is mounted on namespace pin ${p}: ${errorMessage(e)}`, { cause: e });
          });
          await unlink(p).catch((e: unknown) => {
            if (errnoOf(e) !== 'ENOENT') throw new InternalError(`deleting namespace pin ${p}: ${errorMessage(e)}`, { cause: e });
          });
          continue;
        }
        throw new InternalError(`deleting namespace pin ${p}: ${errorMessage(err)}`, { cause: err });
      }
    }
  }

  /**
   * Detach the mounts: umount2(MNT_DETACH) through the syscall helper, else `umount -l`, sharing
   * one spawn with every other release asked for in the same turn of the event loop (a pod's
   * three namespaces released with Promise.all cost one spawn). A failure rejects every caller;
   * each then re-checks its own paths.
   */
  private async umountLazy(paths: readonly string[]): Promise<void> {
    const helper = await this.syscalls();
    if (helper) {
      await Promise.all(paths.map((p) => helper.unmount(p, MNT_DETACH)));
      return;
    }
    if (!this.umountBatch) {
      const batch = new Set<string>();
      const done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.umountBatch = undefined; // later releases start the next batch
        const all = [...batch];
        return this.run('umount', ['-l', ...all], 'unmount', all.join(', '));
      });
      this.umountBatch = { paths: batch, done };
    }
    for (const p of paths) this.umountBatch.paths.add(p);
    return this.umountBatch.done;
  }

  private execOptions() {
    return {
      timeout: this.timeoutMs,
      killSignal: 'SIGKILL' as const,
      stdin: 'ignore' as const,
      env: { LC_ALL: 'C' },
    };
  }

  private async run(file: string, args: string[], step: string, path: string): Promise<void> {
    try {
      await execa(file, args, this.execOptions());
    } catch (err) {
      throw this.spawnError(err, `step "${step}" (${file})`, path);
    }
  }

  private spawnError(err: unknown, step: string, path: string): CriodError {
    if (err instanceof ExecaError) {
      if (err.timedOut) return new DeadlineExceededError(`${step} for ${path} timed out after ${this.timeoutMs} ms`, { cause: err });
      if (err.code === 'ENOENT') {
        return new FailedPreconditionError(`${step} for ${path}: command not found (${err.shortMessage})`, { cause: err });
      }
      const stderr = String(err.stderr ?? '').trim();
      return new InternalError(`${step} failed for ${path}: ${stderr || err.shortMessage}`, { cause: err });
    }
    return new InternalError(`${step} failed for ${path}: ${errorMessage(err)}`, { cause: err });
  }
}
