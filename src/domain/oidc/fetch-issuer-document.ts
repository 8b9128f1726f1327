import { createHash } from 'node:crypto';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { TLSSocket } from 'node:tls';

/**
 * The only outbound HTTP client of Tessera: it fetches issuer discovery documents and key sets.
 * Everything it connects to was named by an organization admin, so it is an SSRF surface
 * (catalog S01-S04, K05, K06): the URL must be https (http only for loopback under the explicit
 * development allowance), the host is resolved once and every address checked before a socket
 * opens, the connection goes to the checked address itself (no second resolution an attacker's DNS
 * could answer differently), redirects are not followed, the whole fetch has a deadline and the
 * body a size cap, and the serving certificate's SHA-256 is recorded and optionally pinned.
 */

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has. Injected in tests; dns.lookup by default. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface IssuerFetchOptions {
  /** Development only: http and https to 127.0.0.1, ::1 and localhost are allowed. */
  allowLoopback: boolean;
  resolve?: Resolver;
  /** Extra trusted certificate authorities (PEM); production uses the system store and NODE_EXTRA_CA_CERTS. */
  ca?: string;
  timeoutMs?: number;
  maxBytes?: number;
}

export interface FetchedDocument {
  /** Parsed JSON body. */
  body: unknown;
  /** Lowercase hex SHA-256 of the serving certificate's DER; null over http. */
  thumbprint: string | null;
}

/** `refused`: the URL or its addresses are not allowed (nothing was sent). `failed`: the fetch itself failed. */
export class IssuerFetchError extends Error {
  constructor(
    readonly kind: 'refused' | 'failed',
    message: string,
  ) {
    super(message);
    this.name = 'IssuerFetchError';
  }
}

export const FETCH_TIMEOUT_MS = 5000;
export const FETCH_MAX_BYTES = 1024 * 1024;

const systemResolver: Resolver = async (hostname) => {
  const all = await dns.promises.lookup(hostname, { all: true, verbatim: true });
  return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** A checked target: the parsed URL and the addresses (all checked) the connection may go to. */
export interface CheckedTarget {
  url: URL;
  addresses: ResolvedAddress[];
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Checks a URL and resolves its host, refusing (with IssuerFetchError 'refused') anything that
 * is not an allowed public address. No socket is opened here.
 */
export async function checkIssuerTarget(raw: string, options: IssuerFetchOptions): Promise<CheckedTarget> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new IssuerFetchError('refused', 'not a valid URL');
  }
  // The WHATWG parser has already turned 2130706433, 0x7f.1 and 0177.0.0.1 into 127.0.0.1, and
  // [::ffff:127.0.0.1] into [::ffff:7f00:1], so the checks below see the address a socket would use.
  const loopbackName = LOOPBACK_NAMES.has(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && options.allowLoopback && loopbackName)) {
    throw new IssuerFetchError('refused', 'issuer URLs must use https');
  }
  if (url.username || url.password) throw new IssuerFetchError('refused', 'issuer URLs must not contain credentials');
  if (url.search || url.hash) throw new IssuerFetchError('refused', 'issuer URLs must not have a query or fragment');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  let addresses: ResolvedAddress[];
  const literal = isIP(host);
  if (literal !== 0) {
    addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
  } else {
    if (!/^[a-z0-9.-]+$/.test(host) || host.endsWith('.localhost')) throw new IssuerFetchError('refused', 'the issuer host name is not allowed');
    try {
      addresses = await (options.resolve ?? systemResolver)(host);
    } catch {
      throw new IssuerFetchError('failed', `the issuer host '${host}' could not be resolved`);
    }
    if (addresses.length === 0) throw new IssuerFetchError('failed', `the issuer host '${host}' has no addresses`);
  }
  // Every address must be allowed, not just the first: the connection must not depend on which one
  // a resolver happens to list first.
  for (const a of addresses) {
    const verdict = classifyAddress(a.address);
    if (verdict === 'public') continue;
    if (verdict === 'loopback' && options.allowLoopback) continue;
    throw new IssuerFetchError('refused', `the issuer host resolves to a ${verdict} address, which is not allowed`);
  }
  return { url, addresses };
}

export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'reserved';

/** Classifies an IP address (IPv4, IPv6, or IPv4-mapped IPv6). Anything unparseable is 'reserved'. */
export function classifyAddress(address: string): AddressClass {
  const kind = isIP(address);
  if (kind === 4) return classifyV4(v4Bytes(address)!);
  if (kind !== 6) return 'reserved';
  const b = v6Bytes(address);
  if (!b) return 'reserved';
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses reach the IPv4 address.
  if (b.slice(0, 10).every((x) => x === 0) && ((b[10] === 0xff && b[11] === 0xff) || (b[10] === 0 && b[11] === 0))) {
    if (b[10] === 0 && b.slice(12, 15).every((x) => x === 0) && (b[15] === 0 || b[15] === 1)) return b[15] === 1 ? 'loopback' : 'reserved';
    return classifyV4(b.slice(12));
  }
  if ((b[0]! & 0xfe) === 0xfc) return 'private'; // fc00::/7 (includes AWS's fd00:ec2::254)
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return 'link-local'; // fe80::/10
  // Only global unicast (2000::/3) is public, minus documentation, 6to4 and Teredo, which embed or
  // tunnel to IPv4 addresses we could not check.
  if ((b[0]! & 0xe0) !== 0x20) return 'reserved';
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return 'reserved';
  if (b[0] === 0x20 && b[1] === 0x02) return 'reserved';
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0 && b[3] === 0) return 'reserved';
  return 'public';
}

function classifyV4(b: number[]): AddressClass {
  const [a, c] = [b[0]!, b[1]!];
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && c >= 16 && c <= 31) || (a === 192 && c === 168)) return 'private';
  if (a === 169 && c === 254) return 'link-local'; // includes the cloud metadata address 169.254.169.254
  if (a === 100 && c >= 64 && c <= 127) return 'private'; // CGNAT 100.64/10 (Alibaba's metadata 100.100.100.200)
  if (a === 0 || a >= 224) return 'reserved'; // unspecified, multicast, 240/4, broadcast
  if (a === 192 && c === 0 && (b[2] === 0 || b[2] === 2)) return 'reserved';
  if (a === 198 && (c === 18 || c === 19 || (c === 51 && b[2] === 100))) return 'reserved';
  if (a === 203 && c === 0 && b[2] === 113) return 'reserved';
  return 'public';
}

function v4Bytes(address: string): number[] | undefined {
  const parts = address.split('.').map(Number);
  return parts.length === 4 && parts.every((p) => Number.isInteger(p) && p >= 0 && p <= 255) ? parts : undefined;
}

function v6Bytes(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = v4Bytes(text.slice(lastColon + 1));
    if (!v4) return undefined;
    tail = v4;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const h = groups(head);
  const r = rest === undefined ? [] : groups(rest);
  const fill = rest === undefined ? 0 : 8 - h.length - r.length;
  const all = [...h, ...Array<string>(fill).fill('0'), ...r];
  if (all.length !== 8) return undefined;
  const bytes = all.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** Normalises a certificate fingerprint as people paste it: lowercase hex, colons removed. */
export function normaliseThumbprint(value: string): string | undefined {
  const hex = value.replace(/:/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

/**
 * Fetches a JSON document from an issuer URL under the outbound policy. With `thumbprints`
 * non-empty, a TLS connection presenting a certificate whose SHA-256 is not among them is refused
 * before the response is read.
 */
export async function fetchIssuerJson(raw: string, options: IssuerFetchOptions, thumbprints: readonly string[] = []): Promise<FetchedDocument> {
  const deadline = options.timeoutMs ?? FETCH_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? FETCH_MAX_BYTES;
  const started = Date.now();
  const target = await checkIssuerTarget(raw, options);
  const remaining = deadline - (Date.now() - started);
  if (remaining <= 0) throw new IssuerFetchError('failed', 'timed out');
  return request(target, options, thumbprints, remaining, maxBytes);
}

function request(target: CheckedTarget, options: IssuerFetchOptions, thumbprints: readonly string[], timeoutMs: number, maxBytes: number): Promise<FetchedDocument> {
  const { url, addresses } = target;
  // The connection goes to the addresses that were checked, whatever a second lookup would say
  // (DNS rebinding, S02). Node asks with `all: true` when it races address families.
  const lookup: LookupFunction = (_hostname, opts, callback) => {
    if ((opts as { all?: boolean }).all) (callback as unknown as (e: null, a: ResolvedAddress[]) => void)(null, addresses);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  };
  const secure = url.protocol === 'https:';
  return new Promise<FetchedDocument>((resolve, reject) => {
    let settled = false;
    let thumbprint: string | null = null;
    const done = (err: Error | null, value?: FetchedDocument) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        req.destroy();
        reject(err instanceof IssuerFetchError ? err : new IssuerFetchError('failed', err.message));
      } else resolve(value!);
    };
    const requestOptions: https.RequestOptions = {
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port || (secure ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      headers: { accept: 'application/json', 'user-agent': 'tessera' },
      lookup,
      agent: false,
      ...(secure && options.ca ? { ca: options.ca } : {}),
    };
    const req = (secure ? https : http).request(requestOptions, (res) => {
      if (secure && thumbprint === null) return done(new IssuerFetchError('failed', 'the TLS certificate could not be read'));
      // No redirects (K05): a 3xx is a failure, whatever its Location says.
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 299) {
        res.resume();
        return done(new IssuerFetchError('failed', status >= 300 && status < 400 ? `redirect (${status}) not followed` : `HTTP ${status}`));
      }
      const declared = Number(res.headers['content-length'] ?? '0');
      if (declared > maxBytes) return done(new IssuerFetchError('failed', 'the document is too large'));
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) return done(new IssuerFetchError('failed', 'the document is too large'));
        chunks.push(chunk);
      });
      res.on('error', (err) => done(err));
      res.on('end', () => {
        try {
          done(null, { body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown, thumbprint });
        } catch {
          done(new IssuerFetchError('failed', 'the document is not valid JSON'));
        }
      });
    });
    if (secure) {
      req.on('socket', (socket) => {
        socket.once('secureConnect', () => {
          const cert = (socket as TLSSocket).getPeerCertificate();
          if (!cert?.raw) return done(new IssuerFetchError('failed', 'the TLS certificate could not be read'));
          thumbprint = createHash('sha256').update(cert.raw).digest('hex');
          if (thumbprints.length > 0 && !thumbprints.includes(thumbprint)) {
            done(new IssuerFetchError('failed', 'the TLS certificate does not match the issuer thumbprints'));
          }
        });
      });
    }
    req.on('error', (err) => done(err));
    // One deadline for everything: resolve, connect, TLS, headers and the whole body (a trickle too).
    const timer = setTimeout(() => done(new IssuerFetchError('failed', `timed out after ${timeoutMs} ms`)), timeoutMs);
    req.end();
  });
}
