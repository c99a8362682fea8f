import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * How a cut proxy treats new connections:
 * - 'reset': accepted and destroyed at once (like a server that is down);
 * - 'blackhole': accepted and never answered (like a network partition: only a timeout ends it).
 */
export type CutMode = 'reset' | 'blackhole';

export interface TcpProxy {
  /** The local port to connect to instead of the target's. */
  port: number;
  /** Destroys every open connection and treats new ones as `mode` says, until `restore()`. */
  cut(mode: CutMode): void;
  /** Forwards new connections again (and drops the ones held while blackholed). */
  restore(): void;
  /** Connections accepted since the proxy started, forwarded or not. */
  connectionsAccepted(): number;
  close(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 to `target`, which a test can cut and restore like a failing network. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: CutMode | null = null;
  let accepted = 0;
  const open = new Set<Socket>();
  const held = new Set<Socket>();

  const server: Server = createServer((client) => {
    accepted++;
    client.on('error', () => {});
    if (mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    if (mode === 'blackhole') {
      held.add(client);
      client.on('close', () => held.delete(client));
      return;
    }
    const upstream = connect(target.port, target.host);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    open.add(client).add(upstream);
    client.on('close', () => open.delete(client));
    upstream.on('close', () => open.delete(upstream));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const destroyAll = (sockets: Set<Socket>) => {
    for (const socket of sockets) socket.resetAndDestroy();
    sockets.clear();
  };

  return {
    port: (server.address() as AddressInfo).port,
    cut(cutMode) {
      mode = cutMode;
      destroyAll(open);
    },
    restore() {
      mode = null;
      destroyAll(held);
    },
    connectionsAccepted: () => accepted,
    async close() {
      destroyAll(open);
      destroyAll(held);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
