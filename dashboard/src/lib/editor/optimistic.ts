// Optimistic changes: the editor shows a change at once and undoes it when the server refuses, with
// the server's message in plain words.
import { errorMessage } from '$lib/api/session';

/** What the editor says when a request never reached the server. */
export const UNREACHABLE = 'Could not reach Linkpulse: check your connection and try again.';

export type Outcome = { ok: true; response: Response } | { ok: false; message: string };

/**
 * Applies a change now (`apply` returns its undo), then sends it; on a refusal or a network failure the
 * change is undone and the outcome carries the message to show.
 */
export async function optimistic(apply: () => () => void, send: () => Promise<Response>): Promise<Outcome> {
  const undo = apply();
  let response: Response;
  try {
    response = await send();
  } catch {
    undo();
    return { ok: false, message: UNREACHABLE };
  }
  if (response.ok) return { ok: true, response };
  undo();
  return { ok: false, message: await errorMessage(response) };
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
