import { connect, type Socket } from 'node:net';

/** What came back on one raw connection. */
export interface RawExchange {
  /** Everything the server wrote, as latin1 (byte for byte). */
  text: string;
  /** The status of every response on the connection, in order (pipelined requests give several). */
  statuses: number[];
  /** True when the server closed the connection; false when the wait ran out first. */
  closedByServer: boolean;
}

const STATUS_LINE = /HTTP\/1\.[01] (\d{3}) [^\r\n]*\r\n/g;

export function statusesOf(text: string): number[] {
  return [...text.matchAll(STATUS_LINE)].map((match) => Number(match[1]));
}

/**
 * Writes bytes on a fresh connection to 127.0.0.1 (each chunk in its own write, `pauseMs`
 * apart) and reads until the server closes it or `waitMs` has passed, whichever is first.
 * Never rejects: a reset connection is an answer too (what was read so far).
 */
export function rawExchange(
  port: number,
  chunks: string | Buffer | Array<string | Buffer>,
  { waitMs = 3_000, pauseMs = 0 }: { waitMs?: number; pauseMs?: number } = {},
): Promise<RawExchange> {
  const parts = Array.isArray(chunks) ? chunks : [chunks];
  return new Promise((resolve) => {
    const received: Buffer[] = [];
    let settled = false;
    const socket = connect(port, '127.0.0.1');
    const finish = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(received).toString('latin1');
      resolve({ text, statuses: statusesOf(text), closedByServer });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('connect', async () => {
      for (const [index, part] of parts.entries()) {
        if (settled || socket.destroyed) return;
        if (index > 0 && pauseMs > 0) await new Promise((wait) => setTimeout(wait, pauseMs));
        socket.write(typeof part === 'string' ? Buffer.from(part, 'latin1') : part);
      }
    });
  });
}

/** A connection left open with part of a request written: the server must neither wait on it forever nor let it block others. */
export interface HalfSentRequest {
  socket: Socket;
  /** Resolves when the server closes the connection, with what it wrote first. */
  closed: Promise<RawExchange>;
}

export function halfSend(port: number, partial: string | Buffer): HalfSentRequest {
  const received: Buffer[] = [];
  const socket = connect(port, '127.0.0.1', () => {
    socket.write(typeof partial === 'string' ? Buffer.from(partial, 'latin1') : partial);
  });
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  const closed = new Promise<RawExchange>((resolve) => {
    const done = () => {
      const text = Buffer.concat(received).toString('latin1');
      resolve({ text, statuses: statusesOf(text), closedByServer: true });
    };
    socket.on('error', done);
    socket.on('close', done);
  });
  return { socket, closed };
}

/** Runs `task` over `items`, at most `concurrency` at a time, in order of start. */
export async function mapConcurrently<T, R>(items: readonly T[], concurrency: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
