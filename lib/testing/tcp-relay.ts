// A TCP relay in front of a service (Redis, PostgreSQL, …) that a test can take down and up again:
// down() refuses new connections and cuts the open ones, as the service's crash would.
import net, { type AddressInfo, type Socket } from 'node:net';

export interface SwitchableRelay {
  /** The service's URL with the relay's address in place of the service's. */
  url: string;
  readonly isUp: boolean;
  up(): void;
  down(): void;
  close(): Promise<void>;
}

/** Starts down unless `startUp`; `defaultPort` is the service's port when its URL names none. */
export async function startSwitchableRelay(serviceUrl: string, defaultPort: number, options: { startUp?: boolean } = {}): Promise<SwitchableRelay> {
  const target = new URL(serviceUrl);
  const sockets = new Set<Socket>();
  let isUp = options.startUp ?? false;
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    if (!isUp) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(target.port || defaultPort), target.hostname);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(serviceUrl);
  url.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: url.toString(),
    get isUp() {
      return isUp;
    },
    up() {
      isUp = true;
    },
    down() {
      isUp = false;
      for (const socket of sockets) socket.destroy();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
