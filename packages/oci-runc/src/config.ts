import { z } from 'zod';

const handlerSchema = z.strictObject({
  path: z.string().min(1).default('runc').describe('The runc-compatible runtime binary: a name looked up in PATH, or an absolute path.'),
  root: z.string().default('').describe("The binary's --root state dir; empty means `<runroot>/runtimes/<handler>`."),
});

export const configSchema = z
  .strictObject({
    default_handler: z.string().min(1).default('runc').describe('Handler of pods that name none (RuntimeClass handler ""); must be a key of `handlers`.'),
    conmon: z.string().min(1).default('conmon').describe('The conmon binary: a name looked up in PATH, or an absolute path.'),
    cgroup_manager: z
      .enum(['cgroupfs', 'systemd'])
      .default('cgroupfs')
      .describe('Cgroup driver passed to the runtime and reported to kubelet: "cgroupfs" or "systemd"; must match kubelet\'s cgroupDriver.'),
    handlers: z
      .record(
        z
          .string()
          .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a DNS label')
          .meta({ title: 'handler' }),
        handlerSchema,
      )
      .default({ runc: { path: 'runc', root: '' } })
      .describe('Runtime handlers by RuntimeClass handler name (a DNS label), each a runc-compatible binary and its state dir.'),
  })
  .refine((c) => c.default_handler in c.handlers, {
    message: 'default_handler must name one of [runtime.handlers]',
    path: ['default_handler'],
  });

export type OciRuncConfig = z.infer<typeof configSchema>;
