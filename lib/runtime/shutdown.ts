// Graceful shutdown on SIGTERM/SIGINT: run the stop sequence once (stop accepting, drain requests and
// consumer batches, commit, close pools and embedded engines), then exit 0. A second signal, or the
// deadline passing, exits at once with a non-zero code.
import type { Logger } from '../logger.js';

export interface ShutdownOptions {
  logger: Logger;
  /** After this long the process exits even if draining has not finished. */
  timeoutMs: number;
  /** For tests; defaults to process.exit. */
  exit?: (code: number) => void;
}

export function installShutdownHandlers(stop: (reason: string) => Promise<void>, options: ShutdownOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      options.logger.warn({ signal }, 'second signal: exiting without finishing the drain');
      exit(signal === 'SIGINT' ? 130 : 143);
      return;
    }
    shuttingDown = true;
    options.logger.info({ signal, timeoutMs: options.timeoutMs }, 'shutting down: draining in-flight work');
    const deadline = setTimeout(() => {
      options.logger.error({ timeoutMs: options.timeoutMs }, 'shutdown deadline passed; exiting with work still in flight');
      exit(1);
    }, options.timeoutMs);
    deadline.unref();
    stop(signal).then(
      () => {
        clearTimeout(deadline);
        options.logger.info('shutdown complete');
        exit(0);
      },
      (error: unknown) => {
        clearTimeout(deadline);
        options.logger.error({ err: error }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGINT', onSignal);
  };
}
