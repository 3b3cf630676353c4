/**
 * Promise.all for steps that each register their own undo: waits for every step before it fails
 * (with the first failure in order), so unwinding never starts while another step still runs.
 */
export async function settleAll<T extends readonly unknown[] | []>(steps: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(steps);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}
