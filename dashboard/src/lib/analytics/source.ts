// Whose analytics a page reads: a profile the signed-in user is on (/dashboard/<id>/analytics), or a
// shared dashboard by the token in its URL (/share/<token>, signed out). The reads differ only in the
// API path; the answers have the same shapes.
export type AnalyticsSource = { profileId: string } | { shareToken: string };

export const isShared = (source: AnalyticsSource): source is { shareToken: string } => 'shareToken' in source;
