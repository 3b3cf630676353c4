/**
 * Copy one stream into another with backpressure, and tell how it ended, without throwing and
 * without tearing down the other side: callers decide what a premature end means.
 */
export type PumpResult = 'ended' | 'aborted';

export function pump(source: NodeJS.ReadableStream, destination: NodeJS.WritableStream, options: { end?: boolean } = {}): Promise<PumpResult> {
  const end = options.end ?? true;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: PumpResult): void => {
      if (settled) return;
      settled = true;
      source.removeListener('end', onEnd);
      source.removeListener('close', onSourceClose);
      source.removeListener('error', onAbort);
      destination.removeListener('finish', onFinish);
      destination.removeListener('close', onAbort);
      destination.removeListener('error', onAbort);
      if (result === 'aborted') source.unpipe(destination);
      // Errors after the copy is over are nobody's business but must not crash the process.
      source.on('error', ignore);
      destination.on('error', ignore);
      resolve(result);
    };
    const onAbort = (): void => settle('aborted');
    const onFinish = (): void => settle('ended');
    const onEnd = (): void => {
      if (!end) settle('ended');
    };
    const onSourceClose = (): void => {
      if (!(source as { readableEnded?: boolean }).readableEnded) settle('aborted');
    };
    source.on('end', onEnd);
    source.on('close', onSourceClose);
    source.on('error', onAbort);
    destination.on('finish', onFinish);
    destination.on('close', onAbort);
    destination.on('error', onAbort);
    source.pipe(destination, { end });
  });
}

/** Read a stream to its end and throw the data away (a process output nobody asked for). */
export function discard(source: NodeJS.ReadableStream): Promise<PumpResult> {
  return new Promise((resolve) => {
    source.on('end', () => resolve('ended'));
    source.on('close', () => resolve('aborted'));
    source.on('error', () => resolve('aborted'));
    source.resume();
  });
}

function ignore(): void {}
