// Optimistic changes: the editor shows a change at once and undoes it when the server refuses, with
// the server's message in plain words.
import type { ApiResult } from '$lib/api/client';

/**
 * Applies a change now (`apply` returns its undo), then sends it; on a refusal or a network failure the
 * change is undone, and the result carries the message to show.
 */
export async function optimistic<T>(apply: () => () => void, send: () => Promise<ApiResult<T>>): Promise<ApiResult<T>> {
  const undo = apply();
  const result = await send();
  if (!result.ok) undo();
  return result;
}

/**
 * Sends only the newest of values that arrive while a send is in flight, one send at a time: moving a
 * link five places with the keyboard makes at most two requests, and they can never overtake each other.
 * `discard()` drops the value waiting, if any (after a refusal, moves that built on the refused one).
 */
export function latestOnly<T>(send: (value: T) => Promise<void>): ((value: T) => Promise<void>) & { discard(): void } {
  let waiting: { value: T } | undefined;
  let running: Promise<void> | undefined;
  const drain = async () => {
    while (waiting) {
      const { value } = waiting;
      waiting = undefined;
      await send(value);
    }
    running = undefined;
  };
  const enqueue = (value: T) => {
    waiting = { value };
    running ??= drain();
    return running;
  };
  return Object.assign(enqueue, {
    discard() {
      waiting = undefined;
    },
  });
}
