/**
 * What a conformance check is and the few assertions the checks share. The kit does not depend on
 * a test framework: it hands back named async checks and a plugin's own tests register each one
 * (`for (const c of checks) it(c.name, c.run)`), so a failing rule fails as that test, by name.
 */
import { CriodError, errorMessage, type ErrorCode } from '../../errors.js';

/** One rule of a plugin kind's contract, checked against a real plugin instance. */
export interface ConformanceCheck {
  /** The rule as a test name, e.g. "tears down a pod twice without error". */
  name: string;
  /** Resolves when the plugin keeps the rule; rejects with a ConformanceFailure saying how it broke it. */
  run(): Promise<void>;
}

/** A plugin broke a rule of its contract; the message says which call did what. */
export class ConformanceFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConformanceFailure';
  }
}

export function fail(message: string, cause?: unknown): never {
  throw new ConformanceFailure(message, cause === undefined ? undefined : { cause });
}

export function ensure(condition: boolean, message: string): asserts condition {
  if (!condition) fail(message);
}

/** The value of `call`, or a failure naming the call that should have worked. */
export async function succeeds<T>(what: string, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    return fail(`${what} failed: ${errorMessage(err)}`, err);
  }
}

/**
 * `call` must reject with a CriodError (of `code` when given): anything else reaches a CRI caller
 * as a bare INTERNAL with no hint of what to do.
 */
export async function rejectsTyped(what: string, call: Promise<unknown>, code?: ErrorCode): Promise<CriodError> {
  let err: unknown;
  try {
    await call;
  } catch (e) {
    err = e;
  }
  if (err === undefined) fail(`${what} succeeded; it must fail with ${code ? `a ${code}Error` : 'a CriodError'}`);
  if (!(err instanceof CriodError)) {
    const name = err instanceof Error ? err.constructor.name : typeof err;
    fail(`${what} threw ${name} ("${errorMessage(err)}"), not a CriodError from @criod/core${code ? ` (${code}Error)` : ''}`, err);
  }
  if (code && err.code !== code) fail(`${what} threw a ${err.code}Error ("${err.message}"); it must be a ${code}Error`, err);
  return err;
}

/** Poll `condition` until it holds; a failure naming `what` after `timeoutMs`. */
export async function eventually(what: string, condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) fail(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Runs a check's body, then what it deferred (newest first) even when the body failed; cleanup
 * errors do not hide the body's failure, and the body's own calls are what the check judges.
 */
export class CheckScope {
  private readonly undo: (() => Promise<unknown>)[] = [];

  defer(step: () => Promise<unknown>): void {
    this.undo.push(step);
  }

  static async run(body: (scope: CheckScope) => Promise<void>): Promise<void> {
    const scope = new CheckScope();
    try {
      await body(scope);
    } finally {
      for (const step of scope.undo.reverse()) await step().catch(() => undefined);
    }
  }
}

/** A check whose body gets a scope for cleanup. */
export function scopedCheck(name: string, body: (scope: CheckScope) => Promise<void>): ConformanceCheck {
  return { name, run: () => CheckScope.run(body) };
}

/** The shape every plugin's status() answers (Readiness): not ready needs a reason. */
export function ensureReadinessShape(what: string, r: unknown): void {
  const v = r as { ready?: unknown; reason?: unknown; message?: unknown } | null;
  ensure(
    typeof v === 'object' && v !== null && typeof v.ready === 'boolean' && typeof v.reason === 'string' && typeof v.message === 'string',
    `${what} answered ${JSON.stringify(r)}; it must be { ready: boolean, reason: string, message: string }`,
  );
  ensure(v.ready || v.reason !== '', `${what} is not ready but gives no reason (a CamelCase word such as NetworkPluginNotReady)`);
}
