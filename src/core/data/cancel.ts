import { ProvenantError } from '../util/errors';

/** The error every hashing step rejects with once its AbortSignal fires. */
export function cancelledError(signal?: AbortSignal): ProvenantError {
  return new ProvenantError('hashing was cancelled', { code: 'E_CANCELLED', cause: signal?.reason });
}

export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError(signal);
}

/** Lets the event loop run (timers, abort events, UI) during a long synchronous job, then checks the signal. */
export async function yieldToEventLoop(signal: AbortSignal | undefined): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  throwIfCancelled(signal);
}
