import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';

/**
 * Answers requests that Node's HTTP parser refuses (bad bytes, oversized headers, timeouts) in the
 * REST error shape. Fastify's default handler logs the raw request bytes at trace level, and those
 * bytes hold the Authorization header; here only the error code is logged.
 */
export function clientErrorHandler(logger: FastifyBaseLogger) {
  return (err: NodeJS.ErrnoException, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const reason = status === 431 ? 'headers_too_large' : status === 408 ? 'request_timeout' : 'bad_request';
    const requestId = randomUUID();
    logger.debug({ requestId, code: err.code, status }, 'client error');
    if (socket.writable) {
      const body = JSON.stringify({ code: status, message: http.STATUS_CODES[status], reason, requestId });
      socket.write(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}

/**
 * Whether `error` is the request stream failing because the client went away mid-body (Node's
 * `aborted`, ECONNRESET, on the incoming message). It carries the same code as a database
 * connection reset, so it is told apart by the request's own state: the client closed, the
 * database is fine, and nobody is left to answer.
 */
export function isClientAbort(error: unknown, request: FastifyRequest): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  const reset = e?.code === 'ECONNRESET' || e?.code === 'ECONNABORTED';
  return reset && (e?.message === 'aborted' || request.raw.aborted || request.raw.destroyed);
}
