import { createPrivateKey, generateKeyPairSync, randomUUID, sign, type JsonWebKey } from 'node:crypto';
import os from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

// The exchange benchmark's ID tokens: one key pair per algorithm, and GitHub-Actions-like JWTs
// signed ahead of the measurement (each can be exchanged only once), on worker threads because an
// RS256 signature costs about 0.3 ms of CPU. Signed with node:crypto directly; verified by jose.

export type BenchAlgorithm = 'ES256' | 'RS256';
export const BENCH_ALGORITHMS: readonly BenchAlgorithm[] = ['ES256', 'RS256'];

/** The organization the tokens are for, and the repository they claim to come from. */
export const EXCHANGE_ORG = 'bench-org';
export const EXCHANGE_AUDIENCE = `urn:pulumi:org:${EXCHANGE_ORG}`;
export const EXCHANGE_SUBJECT = `repo:${EXCHANGE_ORG}/app:environment:prod`;
/** One issuer per algorithm. Names only: registered with a static key set, never resolved or fetched. */
export const ISSUER_URLS: Record<BenchAlgorithm, string> = {
  ES256: 'https://es256.oidc.bench.invalid',
  RS256: 'https://rs256.oidc.bench.invalid',
};
/** Lifetime of the benchmark's JWTs: long enough for the whole run, PostgreSQL included. */
const JWT_LIFETIME_SEC = 3600;

export interface BenchKey {
  alg: BenchAlgorithm;
  kid: string;
  /** The private key, PKCS#8 PEM (handed to the signing workers). */
  privatePem: string;
  /** The public key as a JWK with kid, alg and use, as an issuer publishes it. */
  publicJwk: JsonWebKey & { kid: string; alg: string; use: string };
}

export function makeKey(alg: BenchAlgorithm): BenchKey {
  const pair = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `bench-${alg.toLowerCase()}`;
  return {
    alg,
    kid,
    privatePem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicJwk: { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' },
  };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A GitHub Actions ID token's claims (a deployment job of a private repository), with a fresh jti. */
function claims(alg: BenchAlgorithm, nowSec: number, n: number): Record<string, unknown> {
  const sha = '3f786850e387550fdab836ed7e6dc881de23001b';
  return {
    jti: randomUUID(),
    sub: EXCHANGE_SUBJECT,
    aud: EXCHANGE_AUDIENCE,
    ref: 'refs/heads/main',
    sha,
    repository: `${EXCHANGE_ORG}/app`,
    repository_owner: EXCHANGE_ORG,
    repository_owner_id: '81234567',
    run_id: String(9_000_000_000 + n),
    run_number: String(1 + (n % 5000)),
    run_attempt: '1',
    repository_visibility: 'private',
    repository_id: '712345678',
    actor_id: '1234567',
    actor: 'octocat',
    workflow: 'deploy',
    head_ref: '',
    base_ref: '',
    event_name: 'push',
    ref_protected: 'true',
    ref_type: 'branch',
    workflow_ref: `${EXCHANGE_ORG}/app/.github/workflows/deploy.yml@refs/heads/main`,
    workflow_sha: sha,
    job_workflow_ref: `${EXCHANGE_ORG}/app/.github/workflows/deploy.yml@refs/heads/main`,
    job_workflow_sha: sha,
    runner_environment: 'github-hosted',
    environment: 'prod',
    iss: ISSUER_URLS[alg],
    nbf: nowSec - 5,
    exp: nowSec + JWT_LIFETIME_SEC,
    iat: nowSec,
  };
}

interface SignJob {
  alg: BenchAlgorithm;
  kid: string;
  privatePem: string;
  count: number;
  first: number;
  nowSec: number;
}

function signBatch(job: SignJob): string[] {
  const key = createPrivateKey(job.privatePem);
  const header = b64({ alg: job.alg, kid: job.kid, typ: 'JWT' });
  const out: string[] = [];
  for (let i = 0; i < job.count; i++) {
    const input = `${header}.${b64(claims(job.alg, job.nowSec, job.first + i))}`;
    // ES256 signatures are r || s (IEEE P1363), as JWS wants, not DER.
    const signature = sign('sha256', Buffer.from(input), job.alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
    out.push(`${input}.${signature.toString('base64url')}`);
  }
  return out;
}

/** Signs `count` distinct JWTs with `key`, spread over one worker thread per core. */
export async function signJwts(key: BenchKey, count: number, first = 0): Promise<string[]> {
  const nowSec = Math.floor(Date.now() / 1000);
  const workers = Math.max(1, Math.min(os.cpus().length, Math.ceil(count / 2000)));
  const per = Math.ceil(count / workers);
  const batches = await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const job: SignJob = { alg: key.alg, kid: key.kid, privatePem: key.privatePem, count: Math.max(0, Math.min(per, count - w * per)), first: first + w * per, nowSec };
      return new Promise<string[]>((resolve, reject) => {
        const worker = new Worker(new URL(import.meta.url), { workerData: job });
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    }),
  );
  return batches.flat();
}

if (!isMainThread && parentPort) {
  parentPort.postMessage(signBatch(workerData as SignJob));
}

/** The form body of a token exchange, as the Pulumi CLI sends it (keys sorted, every field present). */
export function exchangeForm(jwt: string): string {
  return new URLSearchParams([
    ['audience', EXCHANGE_AUDIENCE],
    ['expiration', '7200'],
    ['grant_type', 'urn:ietf:params:oauth:grant-type:token-exchange'],
    ['requested_token_type', 'urn:pulumi:token-type:access_token:organization'],
    ['scope', ''],
    ['subject_token', jwt],
    ['subject_token_type', 'urn:ietf:params:oauth:token-type:id_token'],
  ]).toString();
}
