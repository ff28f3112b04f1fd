import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../logger.js';
import { installShutdownHandlers } from './shutdown.js';

const logger = createLogger('silent');

describe('graceful shutdown', () => {
  let uninstall: (() => void) | undefined;
  afterEach(() => uninstall?.());

  it('drains once on the first signal, then exits 0', async () => {
    const exit = vi.fn();
    let finish!: () => void;
    const stop = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    uninstall = installShutdownHandlers(stop, { logger, timeoutMs: 5_000, exit });
    process.emit('SIGTERM', 'SIGTERM');
    expect(stop).toHaveBeenCalledWith('SIGTERM');
    expect(exit).not.toHaveBeenCalled();
    finish();
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(0));
    expect(stop).toHaveBeenCalledTimes(1);
  });

  it('exits at once on a second signal', () => {
    const exit = vi.fn();
    uninstall = installShutdownHandlers(() => new Promise(() => undefined), { logger, timeoutMs: 5_000, exit });
    process.emit('SIGINT', 'SIGINT');
    process.emit('SIGINT', 'SIGINT');
    expect(exit).toHaveBeenCalledWith(130);
  });

  it('exits 1 when draining outlives the deadline or fails', async () => {
    const exit = vi.fn();
    uninstall = installShutdownHandlers(() => new Promise(() => undefined), { logger, timeoutMs: 20, exit });
    process.emit('SIGTERM', 'SIGTERM');
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(1));
    uninstall();
    const failing = vi.fn();
    uninstall = installShutdownHandlers(() => Promise.reject(new Error('pool close failed')), { logger, timeoutMs: 5_000, exit: failing });
    process.emit('SIGTERM', 'SIGTERM');
    await vi.waitFor(() => expect(failing).toHaveBeenCalledWith(1));
  });
});
