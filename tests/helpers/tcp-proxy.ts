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
  /**
   * Like a database that stops answering for a while: open connections stay open but forward
   * nothing in either direction, new ones are accepted and wait, until `release()` forwards
   * everything that queued up meanwhile.
   */
  hold(): void;
  release(): void;
  /** Connections accepted since the proxy started, forwarded or not. */
  connectionsAccepted(): number;
  close(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 to `target`, which a test can cut and restore like a failing network. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: CutMode | null = null;
  let holding = false;
  let accepted = 0;
  const open = new Set<Socket>();
  const held = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  const waiting = new Set<Socket>();

  const forward = (client: Socket) => {
    const upstream = connect(target.port, target.host);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    open.add(client).add(upstream);
    client.on('close', () => {
      open.delete(client);
      pairs.delete(pair);
    });
    upstream.on('close', () => open.delete(upstream));
  };

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
    if (holding) {
      client.pause();
      waiting.add(client);
      client.on('close', () => waiting.delete(client));
      return;
    }
    forward(client);
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
    hold() {
      holding = true;
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    release() {
      holding = false;
      for (const [client, upstream] of pairs) {
        client.pipe(upstream);
        upstream.pipe(client);
      }
      for (const client of waiting) {
        forward(client);
        client.resume();
      }
      waiting.clear();
    },
    connectionsAccepted: () => accepted,
    async close() {
      destroyAll(open);
      destroyAll(held);
      destroyAll(waiting);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
