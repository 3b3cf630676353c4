import { z } from 'zod';

const handlerSchema = z.strictObject({
  /** The runc-compatible binary: a name looked up in PATH, or an absolute path. */
  path: z.string().min(1).default('runc'),
  /** The binary's --root state dir; empty means <runroot>/runtimes/<handler>. */
  root: z.string().default(''),
});

export const configSchema = z
  .strictObject({
    /** Handler used when a pod names none (RuntimeClass handler ""). */
    default_handler: z.string().min(1).default('runc'),
    /** conmon binary: a name looked up in PATH, or an absolute path. */
    conmon: z.string().min(1).default('conmon'),
    cgroup_manager: z.enum(['cgroupfs', 'systemd']).default('cgroupfs'),
    /** RuntimeClass handler name → runtime binary and root. */
    handlers: z.record(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a DNS label'), handlerSchema).default({ runc: { path: 'runc', root: '' } }),
  })
  .refine((c) => c.default_handler in c.handlers, {
    message: 'default_handler must name one of [runtime.handlers]',
    path: ['default_handler'],
  });

export type OciRuncConfig = z.infer<typeof configSchema>;
