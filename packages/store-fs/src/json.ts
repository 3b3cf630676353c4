/**
 * JSON with bigint: timestamps are bigint nanoseconds, which JSON cannot hold. They are stored
 * as {"$bigint": "<digits>"}, a shape no string-valued user field (labels, annotations) can take.
 */
export function stringifyRecord(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v), 2);
}

export function parseRecord<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && keys[0] === '$bigint' && typeof o.$bigint === 'string') return BigInt(o.$bigint);
    }
    return v;
  }) as T;
}
