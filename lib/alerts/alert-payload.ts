// What a firing says: the figures behind it (stored in alert_firings.details, returned by the API,
// sent as the `alert.triggered` webhook event's data) and the sentence that puts them in words (the
// history, the mail, the event's summary). Shared by the scheduler, the API and the dashboard.
//
// The `alert.triggered` event's data (version 1; the webhook envelope around it adds the type and time):
//   {
//     "alert":   { "id": "<rule id>", "kind": "traffic_spike" | "ctr_drop" | "star_milestone" },
//     "firing":  { "id": "<firing id>", "firedAt": "<ISO time>", "windowStart": "<ISO>" | null, "windowEnd": "<ISO>" | null },
//     "profileId": "<profile id>",
//     "summary": "312 views in the hour from 14:00 UTC so far: 6.2× the usual 50",
//     "details": AlertDetails (below, by kind),
//     "links":   { "analytics": "<dashboard URL>", "settings": "<alert settings URL>" }
//   }
// A receiver deduplicates on the event's webhook-id; firing.id is unique per firing as well.
import { CTR_DROP, SPIKE, type AlertKind } from './alert-rules.js';

export type AlertDetails =
  | {
      kind: 'traffic_spike';
      /** Views in the hour (so far, unless hourComplete). */
      views: number;
      /** The median views of the same hour of the day over the baseline days (0 counted for days without any). */
      usualViews: number;
      /** views / usualViews, one decimal; null when the hour usually has no views. */
      ratio: number | null;
      /** The rule's thresholds when it fired. */
      factor: number;
      minViews: number;
      hourComplete: boolean;
      baselineDays: number;
    }
  | {
      kind: 'ctr_drop';
      linkId: string;
      recent: { hours: number; views: number; clicks: number; clicksPerView: number };
      baseline: { hours: number; views: number; clicks: number; clicksPerView: number };
      /** How much lower the recent rate is, in per cent (one decimal). */
      dropPercent: number;
      /** The rule's thresholds when it fired. */
      thresholdPercent: number;
      minViews: number;
      /** The drop's z score (one-sided Poisson rate test; the job fires from 1.645). */
      z: number;
    }
  | {
      kind: 'star_milestone';
      repository: { id: string; fullName: string; url: string };
      stars: number;
      milestone: number;
    };

export interface AlertEventData {
  alert: { id: string; kind: AlertKind };
  firing: { id: string; firedAt: string; windowStart: string | null; windowEnd: string | null };
  profileId: string;
  summary: string;
  details: AlertDetails;
  links: { analytics: string; settings: string };
}

const HOUR_MS = 3_600_000;
const count = (value: number) => new Intl.NumberFormat('en-US').format(value);
const percent = (rate: number) => `${new Intl.NumberFormat('en-US', { maximumFractionDigits: rate < 0.1 ? 2 : 1 }).format(rate * 100)} %`;
const hourOf = (iso: string | null) => (iso ? `${iso.slice(11, 16)} UTC` : 'this hour');

/**
 * The firing in words: a short title (a mail's subject, a history entry's heading) and one sentence.
 * `linkTitle` names the link of a click-through drop when the reader may know it (the API and the mail
 * read it as a member); without it the sentence says "a link".
 */
export function describeAlert(details: AlertDetails, context: { windowStart?: string | null; linkTitle?: string | undefined } = {}): { title: string; sentence: string; rule: string } {
  switch (details.kind) {
    case 'traffic_spike': {
      const usual = details.ratio === null ? 'where it usually has none' : `${details.ratio}× the usual ${count(details.usualViews)}`;
      return {
        title: `Traffic spike: ${count(details.views)} views in an hour`,
        sentence: `${count(details.views)} views in the hour from ${hourOf(context.windowStart ?? null)}${details.hourComplete ? '' : ' so far'}: ${usual}.`,
        rule: `The alert fires when an hour has more than ${details.factor}× its usual views (the median of the same hour over the last ${details.baselineDays} days) and at least ${count(details.minViews)}; then it rests for ${SPIKE.quietMs / HOUR_MS} hours.`,
      };
    }
    case 'ctr_drop': {
      const link = context.linkTitle ? `“${context.linkTitle}”` : 'a link';
      const drop = `${new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(details.dropPercent)} %`;
      return {
        title: `Clicks on ${link} dropped ${drop}`,
        sentence:
          `${context.linkTitle ? `“${context.linkTitle}”` : 'A link'} was clicked ${percent(details.recent.clicksPerView)} of views in the last ${details.recent.hours} hours ` +
          `(${count(details.recent.clicks)} of ${count(details.recent.views)}), against ${percent(details.baseline.clicksPerView)} in the ${details.baseline.hours / 24} days before ` +
          `(${count(details.baseline.clicks)} of ${count(details.baseline.views)}): ${drop} lower.`,
        rule: `The alert fires when a link’s clicks per view fall by ${details.thresholdPercent} % or more, with at least ${count(details.minViews)} page views in each period and a drop too large for chance; then it rests for ${CTR_DROP.quietMs / HOUR_MS} hours for that link.`,
      };
    }
    case 'star_milestone':
      return {
        title: `${details.repository.fullName} passed ${count(details.milestone)} stars`,
        sentence: `${details.repository.fullName} has ${count(details.stars)} stars on GitHub: it passed ${count(details.milestone)}.`,
        rule: 'The alert fires once for each milestone a repository on the page passes: 100, 1,000, 10,000 stars and so on.',
      };
  }
}

/**
 * The analytics page's query string (dashboard/src/lib/analytics/view.ts) that shows what a firing is
 * about: the spike's UTC day by hour, the drop's 8 days filtered to its link; '' for a star milestone.
 */
export function alertAnalyticsQuery(details: AlertDetails, windowStart: string | null): string {
  const day = (time: number) => new Date(time).toISOString().slice(0, 10);
  const start = windowStart ? Date.parse(windowStart) : Number.NaN;
  if (Number.isNaN(start) || details.kind === 'star_milestone') return '';
  const query: Record<string, string> =
    details.kind === 'traffic_spike'
      ? { range: 'custom', from: day(start), to: day(start), tz: 'UTC', interval: 'hour' }
      : { range: 'custom', from: day(start - details.baseline.hours * 3_600_000), to: day(start + details.recent.hours * 3_600_000 - 1), tz: 'UTC', link: details.linkId };
  return new URLSearchParams(query).toString();
}
