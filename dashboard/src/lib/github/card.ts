/** A GitHub link's repository card, as the API returns it (links' `github`). */
export interface Card {
  owner: string;
  name: string;
  /** pending: not synced yet; unavailable: deleted or private on GitHub (the last data is kept). */
  status: 'pending' | 'ok' | 'unavailable';
  description: string | null;
  language: string | null;
  languageColor: string | null;
  stars: number | null;
  forks: number | null;
  topics: string[];
  pushedAt: string | null;
  lastSyncedAt: string | null;
}
