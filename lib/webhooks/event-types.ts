// The events a webhook endpoint can subscribe to (migrations/0018_webhooks.sql checks the same list),
// as the API validates them and the dashboard offers them.
export const WEBHOOK_EVENT_TYPES = [
  'profile.published',
  'profile.updated',
  'link.created',
  'link.updated',
  'link.deleted',
  'link.clicked',
  'github.card.updated',
  'alert.triggered',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Sent only on request ("Send a test event"), to one endpoint, whatever it subscribes to. */
export const WEBHOOK_TEST_EVENT = 'webhook.test';

export const WEBHOOK_EVENT_DESCRIPTIONS: Record<WebhookEventType, string> = {
  'profile.published': 'The page was published or taken offline',
  'profile.updated': 'The page’s name, bio, look or settings changed',
  'link.created': 'A link was added',
  'link.updated': 'A link was changed, reordered, enabled or disabled',
  'link.deleted': 'A link was removed',
  'link.clicked': 'Visitors clicked links (batched: the clicks since the last delivery, about five minutes behind them so none is missed or sent twice)',
  'github.card.updated': 'A GitHub card’s stars or latest release changed',
  'alert.triggered': 'An alert fired (traffic spike, click-through drop, star milestone)',
};
