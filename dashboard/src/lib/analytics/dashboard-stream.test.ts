import { describe, expect, it } from 'vitest';
import { UNREACHABLE } from '$lib/api/client';
import { CUT_SHORT, isDashboardLine, ndjsonLines, panelErrorText, readDashboard, type DashboardLine } from './dashboard-stream';

/** A byte stream delivering `chunks` one by one (lines split anywhere, even inside a character). */
function bytes(chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
}

const collect = async <T>(lines: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const line of lines) out.push(line);
  return out;
};

const PROFILE = '7f1c1c55-7f43-4a64-a1b1-6f2b8a0c9d10';
const baseUrl = 'http://localhost:3000';
let fetch: (request: Request) => Promise<Response>;
const answer = (body: BodyInit, init: ResponseInit = {}) => (fetch = async () => new Response(body, { headers: { 'content-type': 'application/x-ndjson' }, ...init }));
const read = (online: (line: DashboardLine) => void = () => undefined) => readDashboard({ profileId: PROFILE }, {}, new AbortController().signal, online, { baseUrl, fetch });

describe('the dashboard stream', () => {
  it('parses lines split across chunks, multi-byte characters included', async () => {
    const euro = new TextEncoder().encode('{"panel":"geo","body":{"name":"€"}}\n');
    const lines = await collect(ndjsonLines(bytes(['{"panel":"summ', 'ary","body":{}}\n\n', euro.slice(0, 30), euro.slice(30), '{"done":true,"panels":2,"errors":0}'])));
    expect(lines).toEqual([{ panel: 'summary', body: {} }, { panel: 'geo', body: { name: '€' } }, { done: true, panels: 2, errors: 0 }]);
  });

  it('accepts the document’s line shapes only', () => {
    expect(isDashboardLine({ panel: 'summary', body: {} })).toBe(true);
    expect(isDashboardLine({ panel: 'geo', error: { status: 500, code: 'INTERNAL_ERROR', message: 'x', requestId: 'r' } })).toBe(true);
    expect(isDashboardLine({ done: true, panels: 9, errors: 0 })).toBe(true);
    expect(isDashboardLine({ panel: 'realtime', body: {} })).toBe(false);
    expect(isDashboardLine({ panel: 'geo', body: null })).toBe(false);
    expect(isDashboardLine('{"panel":"geo"}')).toBe(false);
  });

  it('hands each line over as it arrives and ends at the done line', async () => {
    answer(bytes(['{"panel":"summary","body":{"a":1}}\n', '{"panel":"geo","error":{"status":500,"code":"INTERNAL_ERROR","message":"Broken.","requestId":"r"}}\n', '{"done":true,"panels":2,"errors":1}\n']));
    const seen: DashboardLine[] = [];
    const result = await read((line) => seen.push(line));
    expect(result).toEqual({ ok: true });
    expect(seen.map((line) => ('panel' in line ? line.panel : 'done'))).toEqual(['summary', 'geo']);
  });

  it('says a stream without its done line was cut short, and a refusal in the API’s words', async () => {
    answer(bytes(['{"panel":"summary","body":{}}\n']));
    expect(await read()).toEqual({ ok: false, status: 0, message: CUT_SHORT });
    answer(JSON.stringify({ error: { code: 'INVALID_INPUT', message: 'Invalid query: query.from: bad', requestId: 'r', timestamp: 't' } }), {
      status: 400,
      headers: { 'content-type': 'application/json' },
    });
    expect(await read()).toEqual({ ok: false, status: 400, message: 'Invalid query: query.from: bad' });
    fetch = () => Promise.reject(new TypeError('Failed to fetch'));
    expect(await read()).toEqual({ ok: false, status: 0, message: UNREACHABLE });
  });

  it('lets an aborted read throw: its caller has moved on', async () => {
    answer(bytes([]));
    const controller = new AbortController();
    controller.abort();
    await expect(readDashboard({ profileId: PROFILE }, {}, controller.signal, () => undefined, { baseUrl, fetch })).rejects.toThrow(/abort/i);
  });

  it('tells the reader what to do about a failed panel', () => {
    expect(panelErrorText({ status: 429, message: 'Too many requests' })).toMatch(/wait a minute, then Retry/);
    expect(panelErrorText({ status: 500, message: 'An unexpected error occurred.' })).toMatch(/Retry/);
    expect(panelErrorText({ status: 0, message: UNREACHABLE })).toBe(UNREACHABLE);
  });
});
