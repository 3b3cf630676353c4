import { join } from 'node:path';
import { InvalidArgumentError } from '@criod/core';

/** Container ids become path components and runc ids: the characters runc itself accepts. */
const containerIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$/;

export function assertContainerId(id: string): void {
  if (!containerIdPattern.test(id)) {
    throw new InvalidArgumentError(`invalid container id ${JSON.stringify(id)}: use 1-128 of [A-Za-z0-9_.+-], starting with a letter or digit`);
  }
}

/** The files of one container: its bundle dir holds the spec and everything conmon writes for it. */
export interface ContainerFiles {
  bundle: string;
  /** OCI runtime spec handed to runc. */
  config: string;
  /** What this plugin remembers about the container (handler, log path, cgroups). */
  meta: string;
  /** Host PID of the container's init, written by runc. */
  pidFile: string;
  /** runc's own log of a container run without a monitor (the infra container). */
  runcLog: string;
  /** Host PID of the container's conmon. */
  conmonPidFile: string;
  /** conmon's control fifo: "<type> <height> <width>\n" (1 = resize, 2 = reopen the log). */
  ctl: string;
  /** conmon's attach socket (SOCK_SEQPACKET), in the bundle because conmon runs with --full-attach. */
  attach: string;
  /** Created by conmon when the OOM killer hit the container's cgroup. */
  oom: string;
  /** Exit status conmon writes when the container ends. */
  exitFile: string;
  /** Parent of the per-exec session dirs. */
  execDir: string;
  /** A checkpoint's process images, kept until the container is restored from them. */
  checkpoint: string;
}

/**
 * Where the plugin keeps its volatile state under criod's runroot:
 * `containers/<id>/` (bundles) and `exits/<id>` (conmon's exit files, one dir so one watcher sees all).
 */
export class RuntimeLayout {
  readonly containersDir: string;
  readonly exitsDir: string;

  constructor(readonly runroot: string) {
    this.containersDir = join(runroot, 'containers');
    this.exitsDir = join(runroot, 'exits');
  }

  container(id: string): ContainerFiles {
    assertContainerId(id);
    const bundle = join(this.containersDir, id);
    return {
      bundle,
      config: join(bundle, 'config.json'),
      meta: join(bundle, 'criod-runtime.json'),
      pidFile: join(bundle, 'pidfile'),
      runcLog: join(bundle, 'runc.log'),
      conmonPidFile: join(bundle, 'conmon.pid'),
      ctl: join(bundle, 'ctl'),
      attach: join(bundle, 'attach'),
      oom: join(bundle, 'oom'),
      exitFile: join(this.exitsDir, id),
      execDir: join(bundle, 'exec'),
      checkpoint: join(bundle, 'checkpoint'),
    };
  }
}
