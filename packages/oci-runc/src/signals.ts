import { constants } from 'node:os';
import { InvalidArgumentError } from '@criod/core';

/** Linux's first real-time signal as glibc reports it (the kernel's 32 and 33 are taken by glibc). */
const sigRtMin = 34;
const sigRtMax = 64;

/**
 * The number of a stop signal as images and kubelet spell it: "SIGTERM", "TERM", "15",
 * "SIGRTMIN+3", "RTMAX-1"; empty means SIGTERM.
 */
export function parseSignal(signal: string): number {
  const text = signal.trim().toUpperCase();
  if (text === '') return constants.signals.SIGTERM;
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n >= 1 && n <= sigRtMax) return n;
  }
  const name = text.startsWith('SIG') ? text : `SIG${text}`;
  const realtime = /^SIGRT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name);
  if (realtime) {
    const base = realtime[1] === 'MIN' ? sigRtMin : sigRtMax;
    const offset = Number(realtime[3] ?? 0) * (realtime[2] === '-' ? -1 : 1);
    const n = base + offset;
    if (n >= sigRtMin && n <= sigRtMax) return n;
  } else {
    const n = (constants.signals as Record<string, number | undefined>)[name];
    if (n !== undefined) return n;
  }
  throw new InvalidArgumentError(`unknown stop signal ${JSON.stringify(signal)}: use a name like SIGTERM or a number 1-${sigRtMax}`);
}
