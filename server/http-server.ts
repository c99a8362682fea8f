import { createServer, STATUS_CODES, type RequestListener, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';

/**
 * How long and how large a request may be before Gatehouse gives up on it. Node's defaults
 * would let one client hold a connection for 5 minutes (requestTimeout) and check it only
 * every 30 seconds; a slow sender must cost seconds, not minutes.
 */
export interface HttpLimits {
  /** Time to receive the request line and headers. */
  headersTimeoutMs: number;
  /** Time to receive the whole request, body included (bodies are at most 100 kB). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Request line and headers together; more is 431. */
  maxHeaderSizeBytes: number;
  /** Headers beyond this many are dropped (Node's default is 2000). */
  maxHeadersCount: number;
  /** How often the two timeouts above are checked. */
  connectionsCheckingIntervalMs: number;
}

export const HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxHeaderSizeBytes: 16 * 1024,
  maxHeadersCount: 100,
  connectionsCheckingIntervalMs: 1_000,
};

const CLIENT_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
    message: 'Request line and headers are larger than 16 kB',
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'Chunk extensions are too large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'REQUEST_TIMEOUT', message: 'The request was not received in time' },
};
const MALFORMED = { status: 400, code: 'BAD_REQUEST', message: 'Malformed HTTP request' };

function clientErrorResponse(errorCode: string | undefined): string {
  const { status, code, message } = (errorCode && CLIENT_ERRORS[errorCode]) || MALFORMED;
  const body = JSON.stringify({ message, code });
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
    'Content-Type: application/json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Cache-Control: no-store\r\n' +
    'Connection: close\r\n\r\n' +
    body
  );
}

/**
 * A request Node could not parse, or one too slow to arrive. Answered as Node would by
 * default, but in JSON, and only where no response of ours has started on the socket (writing
 * into one would corrupt it). Never throws: an exception in this listener would stop the process.
 */
function answerClientError(logger: Logger | undefined, error: NodeJS.ErrnoException, socket: Duplex): void {
  try {
    logger?.debug({ code: error.code }, 'malformed or timed-out request');
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) {
      socket.write(clientErrorResponse(error.code));
    }
  } catch {
    // Nothing more can be said on this socket.
  } finally {
    socket.destroy();
  }
}

/** The HTTP server Gatehouse runs in, with its limits; main.ts and the tests both use it. */
export function createHttpServer(
  app: RequestListener,
  { logger, limits: overrides = {} }: { logger?: Logger; limits?: Partial<HttpLimits> } = {},
): Server {
  const limits = { ...HTTP_LIMITS, ...overrides };
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      maxHeaderSize: limits.maxHeaderSizeBytes,
      connectionsCheckingInterval: limits.connectionsCheckingIntervalMs,
      // Checked by the app instead, so that the 400 is JSON like every other answer.
      requireHostHeader: false,
    },
    app,
  );
  server.maxHeadersCount = limits.maxHeadersCount;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => answerClientError(logger, error, socket));
  return server;
}

/** Resolves once listening; rejects (say, EADDRINUSE) instead of throwing from an 'error' event. */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
