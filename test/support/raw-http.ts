import net from 'node:net';

export interface RawResponse {
  status: number | undefined;
  text: string;
  /** Milliseconds from connect until the server closed the connection (or our timeout). */
  ms: number;
  closedByServer: boolean;
}

/**
 * Opens a raw connection, writes `first`, then `drip()` every `everyMs` until the server closes
 * the connection or `timeoutMs` passes, and returns what came back. Sockets are the only way to
 * send slowly, lie about Content-Length, or send duplicate or malformed headers; inject() hands
 * Fastify a well-formed request at once.
 */
export function rawRequest(port: number, first: string | Buffer, opts: { drip?: () => string | Buffer; everyMs?: number; timeoutMs?: number } = {}): Promise<RawResponse> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let done = false;
    let interval: NodeJS.Timeout | undefined;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (interval) clearInterval(interval);
      socket.destroy();
      const text = buf.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : undefined, text, ms: Date.now() - t0, closedByServer });
    };
    const timer = setTimeout(() => finish(false), opts.timeoutMs ?? 10_000);
    socket.on('data', (d: Buffer) => (buf = Buffer.concat([buf, d])));
    // The server may reset the connection after answering (e.g. 431): that is a close too.
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('connect', () => {
      if (first.length > 0) socket.write(first);
      const drip = opts.drip;
      if (drip) {
        interval = setInterval(() => {
          if (!socket.destroyed && socket.writable) socket.write(drip());
        }, opts.everyMs ?? 100);
      }
    });
  });
}

/** The JSON body of a raw response, if it has one. */
export function rawJson(r: RawResponse): Record<string, unknown> | undefined {
  const i = r.text.indexOf('\r\n\r\n');
  if (i === -1) return undefined;
  try {
    return JSON.parse(r.text.slice(i + 4)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Makes an in-process app listen on a free loopback port, for tests that need a real socket. */
export async function listenOnLoopback(app: { listen(opts: { port: number; host: string }): Promise<string>; server: net.Server }): Promise<number> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as net.AddressInfo).port;
}
