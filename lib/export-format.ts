// Rows to CSV (RFC 4180) or NDJSON, chunk by chunk. CSV cells that a spreadsheet would run as a
// formula (=, +, -, @, tab, carriage return at the start; UTM values come from visitors' URLs) get a
// leading apostrophe, as OWASP recommends against CSV injection.
export const EXPORT_FORMATS = ['csv', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ExportFormat, string> = { csv: 'text/csv; charset=utf-8', ndjson: 'application/x-ndjson; charset=utf-8' };

function csvCell(value: unknown): string {
  let text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : value === null || value === undefined ? '' : JSON.stringify(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export async function* formatRows(
  pages: AsyncIterable<readonly object[]>,
  columns: readonly string[],
  format: ExportFormat,
): AsyncGenerator<string> {
  if (format === 'csv') yield `${columns.join(',')}\r\n`;
  for await (const page of pages) {
    if (page.length === 0) continue;
    yield page
      .map((row) => (format === 'csv' ? `${columns.map((column) => csvCell((row as Record<string, unknown>)[column])).join(',')}\r\n` : `${JSON.stringify(row)}\n`))
      .join('');
  }
}

/** The activity log's CSV columns: the Activity tab's download (api/activity) and the account export's (scheduler/account-export). */
export const ACTIVITY_CSV_COLUMNS = ['occurred_at', 'actor_email', 'actor_user_id', 'actor_token_id', 'entity', 'entity_id', 'action', 'changes'] as const;
