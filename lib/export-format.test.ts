import { describe, expect, it } from 'vitest';
import { formatRows } from './export-format.js';

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

async function* pages(...list: Record<string, unknown>[][]) {
  for (const page of list) yield page;
}

describe('export formats', () => {
  it('writes RFC 4180 CSV and defuses cells a spreadsheet would run as formulas', async () => {
    const csv = await collect(
      formatRows(pages([{ a: 'plain', b: 'with, comma' }], [{ a: 'say "hi"', b: '=HYPERLINK("http://evil")' }, { a: '-1+1', b: 42 }]), ['a', 'b'], 'csv'),
    );
    expect(csv).toBe('a,b\r\nplain,"with, comma"\r\n"say ""hi""","\'=HYPERLINK(""http://evil"")"\r\n\'-1+1,42\r\n');
  });

  it('writes one JSON object per line', async () => {
    const ndjson = await collect(formatRows(pages([{ a: 1 }, { a: 'x' }]), ['a'], 'ndjson'));
    expect(ndjson.trim().split('\n').map((line) => JSON.parse(line) as unknown)).toEqual([{ a: 1 }, { a: 'x' }]);
  });
});
