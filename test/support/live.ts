import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { DatabaseKind } from './databases.js';
import { startHarness, type Harness } from './harness.js';

/** A harness whose app listens on 127.0.0.1, for attacks driven over real HTTP. */
export interface LiveHarness extends Harness {
  base: string;
  port: number;
  /** One request over a fresh connection; any header (Host included) is sent as given. */
  http(method: string, path: string, opts?: LiveRequest): Promise<LiveResponse>;
}

export interface LiveRequest {
  token?: string;
  /** JSON-encoded unless a string or Buffer (then sent as is). */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface LiveResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
  /** Wall-clock milliseconds from sending to the end of the response. */
  ms: number;
}

export async function startLive(kind: DatabaseKind, options: Parameters<typeof startHarness>[1] = {}): Promise<LiveHarness> {
  const h = await startHarness(kind, options);
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (h.app.server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  const request = (method: string, path: string, opts: LiveRequest = {}): Promise<LiveResponse> => {
    const headers: Record<string, string | number> = { ...(opts.headers ?? {}) };
    if (opts.token !== undefined) headers.authorization = `token ${opts.token}`;
    let payload: Buffer | undefined;
    if (opts.body !== undefined) {
      payload = Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
      if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          if (String(res.headers['content-type'] ?? '').includes('json') && text !== '') json = JSON.parse(text);
          if (text.includes('tokenValue') || text.includes('access_token')) {
            const v = (json as { tokenValue?: string; access_token?: string } | undefined) ?? {};
            if (v.tokenValue) h.secrets.add(v.tokenValue);
            if (v.access_token) h.secrets.add(v.access_token);
          }
          resolve({ status: res.statusCode!, headers: res.headers, text, json, ms: performance.now() - started });
        });
      });
      req.setTimeout(15_000, () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(payload);
    });
  };
  return Object.assign(h, { base, port, http: request });
}
