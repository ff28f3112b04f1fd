// First consumer step: turns one bus message from events_v1 into a TrackedEvent, or says why it is
// poison. Everything that fails here goes to the dead-letter topic: the producer is our own ingest,
// so a message it wrote that we cannot read is a bug or a version skew to inspect, not noise.
import type { BusMessage } from '../../lib/bus/event-bus.js';
import { AnyTrackedEventSchema, KNOWN_EVENT_VERSIONS, upgradeTrackedEvent, type TrackedEvent } from '../../lib/events/tracked-event.js';
import { dlq, ok, type StepResult } from './step.js';


// fatal: a value that is not valid UTF-8 is corrupt, not text to repair with U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseTrackedEvent(message: BusMessage): StepResult<TrackedEvent> {
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(message.value));
  } catch (error) {
    return dlq('malformed_json', error);
  }

  // A well-formed event of a version we do not know yet (a newer ingest during a rolling deploy) is
  // kept apart from a broken one, so it can be replayed once the consumers understand it.
  if (typeof json === 'object' && json !== null && !Array.isArray(json) && 'v' in json) {
    const version: unknown = json.v;
    if (typeof version === 'number' && Number.isInteger(version) && !KNOWN_EVENT_VERSIONS.has(version)) {
      return dlq('unknown_version', new Error(`unknown event version ${version}`));
    }
  }

  const parsed = AnyTrackedEventSchema.safeParse(json);
  if (!parsed.success) return dlq('invalid_event', parsed.error);
  // Older versions (a v1 message published before a deploy) are read as the current one.
  return ok(upgradeTrackedEvent(parsed.data));
}
