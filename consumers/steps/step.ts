// The result every fallible consumer step returns. A step never throws for bad input: it says what
// to do with the event instead, and the consumer acts on it (drop = count and skip; dlq = publish to
// the dead-letter topic with the reason, then count). Either way the batch's offsets still advance,
// so one poison message can never stall a partition.

import type { DropReason } from '../../lib/events/drop-reasons.js';

export { DROP_REASONS, type DropReason } from '../../lib/events/drop-reasons.js';

export type StepAction = 'drop' | 'dlq';

export interface StepSuccess<T> {
  ok: true;
  value: T;
}

export interface StepFailure {
  ok: false;
  action: StepAction;
  reason: DropReason;
  /** What went wrong, for the dead-letter headers and logs (never the event's raw IP: events carry none). */
  error?: unknown;
}

export type StepResult<T> = StepSuccess<T> | StepFailure;

export function ok<T>(value: T): StepSuccess<T> {
  return { ok: true, value };
}

export function drop(reason: DropReason): StepFailure {
  return { ok: false, action: 'drop', reason };
}

export function dlq(reason: DropReason, error: unknown): StepFailure {
  return { ok: false, action: 'dlq', reason, error };
}
