import { describe, expect, it } from 'vitest';
import { latestOnly, optimistic } from './optimistic';

describe('optimistic changes', () => {
  it('keeps the change when the server accepts it', async () => {
    let value = 'old';
    const outcome = await optimistic(
      () => {
        value = 'new';
        return () => (value = 'old');
      },
      async () => ({ ok: true as const, status: 200, data: {} }),
    );
    expect(outcome.ok).toBe(true);
    expect(value).toBe('new');
  });

  it('undoes the change and gives the API’s message when the server refuses', async () => {
    let value = 'old';
    const outcome = await optimistic(
      () => {
        value = 'new';
        return () => (value = 'old');
      },
      async () => ({ ok: false as const, status: 409, message: 'This handle is taken', fields: {} }),
    );
    expect(outcome).toEqual({ ok: false, status: 409, message: 'This handle is taken', fields: {} });
    expect(value).toBe('old');
  });

  it('sends values one at a time, skipping those superseded while a send was in flight', async () => {
    const sent: number[] = [];
    let release: () => void = () => {};
    const send = latestOnly(async (value: number) => {
      sent.push(value);
      if (value === 1) await new Promise<void>((resolve) => (release = resolve));
    });
    const first = send(1);
    void send(2);
    void send(3);
    const last = send(4);
    release();
    await Promise.all([first, last]);
    expect(sent).toEqual([1, 4]);
    await send(5);
    expect(sent).toEqual([1, 4, 5]);
  });

  it('drops the value waiting when told to (a refusal makes the moves built on it meaningless)', async () => {
    const sent: number[] = [];
    let release: () => void = () => {};
    const send = latestOnly(async (value: number) => {
      sent.push(value);
      if (value === 1) {
        await new Promise<void>((resolve) => (release = resolve));
        send.discard();
      }
    });
    const first = send(1);
    void send(2);
    release();
    await first;
    expect(sent).toEqual([1]);
  });
});
