// The download link of an account export, as the mail brings it: /dashboard/settings?export=<id>#token=<secret>.
// The secret is in the fragment (browsers never send it to a server, nor in a Referer); the page takes
// both out of the address bar at once and keeps them for this tab only (sessionStorage), so that
// logging in first, then coming back to Settings, still offers the download. The API checks the
// secret together with the session: the link alone opens nothing (lib/account-exports/account-export.ts).
const STORAGE_KEY = 'lp-export-link';

export interface ExportLink {
  exportId: string;
  token: string;
}

function parse(stored: string | null): ExportLink | undefined {
  if (!stored) return undefined;
  try {
    const value: unknown = JSON.parse(stored);
    if (typeof value !== 'object' || value === null || !('exportId' in value) || !('token' in value)) return undefined;
    const { exportId, token } = value;
    return typeof exportId === 'string' && typeof token === 'string' ? { exportId, token } : undefined;
  } catch {
    return undefined;
  }
}

/** Moves a mailed link's export id and secret from the address bar into this tab's storage. */
export function takeExportLinkFromAddress(): void {
  const url = new URL(window.location.href);
  const exportId = url.searchParams.get('export');
  const token = new URLSearchParams(url.hash.slice(1)).get('token');
  if (exportId === null && !url.hash) return;
  if (exportId && token) sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ exportId, token } satisfies ExportLink));
  url.searchParams.delete('export');
  history.replaceState(history.state, '', url.pathname + url.search);
}

/** The mailed link this tab was opened with, if any. */
export const storedExportLink = (): ExportLink | undefined => parse(sessionStorage.getItem(STORAGE_KEY));

export const forgetExportLink = (): void => sessionStorage.removeItem(STORAGE_KEY);

/** Where the archive downloads from (the API; the session cookie goes along). */
export const downloadUrl = (link: ExportLink) => `/api/v1/account/exports/${encodeURIComponent(link.exportId)}/download?token=${encodeURIComponent(link.token)}`;
