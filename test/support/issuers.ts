import { createHash, X509Certificate } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { OAuth2Server } from 'oauth2-mock-server';

/**
 * Loopback issuers for the OIDC suites: the `oauth2-mock-server` package (a real OIDC issuer
 * nobody here wrote) and a small https server with a fixed self-signed certificate
 * (test/fixtures/issuer-cert.pem, CN and SAN localhost / 127.0.0.1) for thumbprint pinning.
 */

export const FIXTURE_CERT = fs.readFileSync('test/fixtures/issuer-cert.pem', 'utf8');
export const FIXTURE_KEY = fs.readFileSync('test/fixtures/issuer-key.pem', 'utf8');
/** SHA-256 of the fixture certificate's DER, lowercase hex. */
export const FIXTURE_THUMBPRINT = createHash('sha256').update(new X509Certificate(FIXTURE_CERT).raw).digest('hex');

/** Starts oauth2-mock-server on 127.0.0.1 with one RS256 key; its URL is http://localhost:<port>. */
export async function startMockIssuer(): Promise<OAuth2Server> {
  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  await server.start(0, '127.0.0.1');
  return server;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface LocalServer {
  /** e.g. http://127.0.0.1:1234 or https://localhost:1234 */
  origin: string;
  port: number;
  /** Paths requested, in order. */
  requests: string[];
  handler: Handler;
  close(): Promise<void>;
}

/** An http or https (fixture certificate) server on a loopback address whose handler tests may swap. */
export async function startLocalServer(opts: { tls?: boolean; host?: string; handler?: Handler } = {}): Promise<LocalServer> {
  const host = opts.host ?? '127.0.0.1';
  const requests: string[] = [];
  const local: LocalServer = {
    origin: '',
    port: 0,
    requests,
    handler: opts.handler ?? ((_req, res) => res.writeHead(404).end()),
    close: async () => {
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const listener: Handler = (req, res) => {
    requests.push(req.url ?? '');
    local.handler(req, res);
  };
  const server = opts.tls ? https.createServer({ cert: FIXTURE_CERT, key: FIXTURE_KEY }, listener) : http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  local.port = (server.address() as AddressInfo).port;
  local.origin = `${opts.tls ? 'https://localhost' : `http://${host}`}:${local.port}`;
  return local;
}

/** Serves a discovery document for `issuer` (at any path prefix) and `jwks` at <prefix>/jwks. */
export function discoveryHandler(originOf: () => string, jwks: () => unknown, issuerOverride?: (prefix: string) => string): Handler {
  return (req, res) => {
    const url = req.url ?? '';
    const json = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.endsWith('/.well-known/openid-configuration')) {
      const prefix = url.slice(0, -'/.well-known/openid-configuration'.length);
      const issuer = issuerOverride ? issuerOverride(prefix) : `${originOf()}${prefix}`;
      return json({ issuer, jwks_uri: `${originOf()}${prefix}/jwks`, id_token_signing_alg_values_supported: ['RS256'] });
    }
    if (url.endsWith('/jwks')) return json(jwks());
    res.writeHead(404).end();
  };
}

/** Counts client sockets Node creates while `fn` runs (a spy on node:net, not on our code). */
export async function countSockets<T>(fn: () => Promise<T>): Promise<{ sockets: number; result: T | undefined; error: unknown }> {
  let sockets = 0;
  const onSocket = () => (sockets += 1);
  diagnostics.subscribe('net.client.socket', onSocket);
  try {
    const result = await fn();
    return { sockets, result, error: undefined };
  } catch (error) {
    return { sockets, result: undefined, error };
  } finally {
    diagnostics.unsubscribe('net.client.socket', onSocket);
  }
}
