import { request } from 'node:http';
import { connect } from 'node:net';

export interface InFlightRequest {
  /**
   * Resolves once the server has read the request's headers: it answered `100 Continue`, so
   * from its side the request is in progress (not an idle connection, not one still waiting
   * in the accept queue).
   */
  started: Promise<void>;
  /** Sends the body (after `started`) and ends the request. */
  finish(): void;
  /** The response, read to its end. */
  response: Promise<{ status: number; body: any }>;
}

/**
 * A POST with a JSON body, on its own connection, whose body is only sent when `finish()` is
 * called: a request that is certainly in flight on the server for as long as the test wants.
 */
export function inFlightPost(baseUrl: string, path: string, body: unknown): InFlightRequest {
  const payload = Buffer.from(JSON.stringify(body));
  const url = new URL(path, baseUrl);
  const req = request({
    host: url.hostname,
    port: url.port,
    path: url.pathname,
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/json', 'content-length': String(payload.length), expect: '100-continue' },
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
  const started = new Promise<void>((resolve, reject) => {
    req.on('continue', () => resolve());
    req.on('error', reject);
  });
  started.catch(() => {});
  req.flushHeaders();
  return {
    started,
    finish() {
      req.end(payload);
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
