import { request } from 'node:http';
import { connect } from 'node:net';

export interface HeldRequest {
  /** Resolves once the headers and the first part of the body have been handed to the socket. */
  written: Promise<void>;
  /** Sends the rest of the body. */
  finish(): void;
  /** The response, read to its end. */
  response: Promise<{ status: number; body: any }>;
}

/**
 * A POST with a JSON body whose first `sendFirst` bytes are sent at once and the rest only
 * when `finish()` is called: a request that is certainly in flight, on its own connection.
 */
export function heldPost(baseUrl: string, path: string, body: unknown, sendFirst = Infinity): HeldRequest {
  const payload = Buffer.from(JSON.stringify(body));
  const cut = Math.min(sendFirst, payload.length);
  const url = new URL(path, baseUrl);
  const req = request({
    host: url.hostname,
    port: url.port,
    path: url.pathname,
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/json', 'content-length': String(payload.length) },
  });
  const response = new Promise<{ status: number; body: any }>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // Left as text for the assertion to show.
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
  });
  response.catch(() => {});
  const written = new Promise<void>((resolve, reject) => {
    req.on('error', reject);
    req.write(payload.subarray(0, cut), () => resolve());
  });
  written.catch(() => {});
  return {
    written,
    finish() {
      req.end(payload.subarray(cut));
    },
    response,
  };
}

/** Resolves with the error code of a TCP connection attempt ('connected' if it succeeded). */
export function tryConnect(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.on('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}
