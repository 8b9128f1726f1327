import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startServer, type ServerChild } from './children.js';
import { postgresBackendsOf, share, snapshot, waitForIdle, type CpuShare } from './cpu.js';
import { seedExchange } from './exchange-seed.js';
import { BENCH_ALGORITHMS, exchangeForm, makeKey, signJwts, ISSUER_URLS, type BenchAlgorithm, type BenchKey } from './jwts.js';
import { runLoad, type LoadResult } from './load.js';
import { checkTargets, markdown, TARGETS, verdict, type BenchRun } from './report.js';
import { SEED_SHAPE, SEEDED_TOKENS, seedDatabase } from './seed.js';

// `npm run bench`: bare Fastify versus Tessera's GET /api/user, and a bare jose verifier versus
// Tessera's token exchange (POST /api/oauth/token, ES256 and RS256 subject tokens), over loopback,
// in one run, each server in its own process and the load generator (autocannon) in this one.
//
// Environment:
//   BENCH_DURATION              seconds measured per server (default 10)
//   BENCH_WARMUP                seconds of unmeasured load before each measurement (default 2)
//   BENCH_CONNECTIONS           concurrent connections (default 50)
//   BENCH_TESSERA_LOG_LEVEL     Tessera's pino level (default warn: no per-request lines)
//   BENCH_CPU_PROF              a directory: run Tessera under --cpu-prof and write profiles there
//   BENCH_SUITES                which benchmarks: read (GET /api/user), exchange (POST /api/oauth/token); default read,exchange
//   BENCH_WAIT_IDLE             wait up to this many seconds for an idle machine before each measurement (default 0)
//   TESSERA_TEST_POSTGRES_URL   also measure Tessera on PostgreSQL, in a fresh schema dropped afterwards

const HERE = path.dirname(fileURLToPath(import.meta.url)); // dist/bench
const ROOT = path.resolve(HERE, '../..');
const RESULTS = path.join(ROOT, 'test-results', 'bench.json');

function positiveNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got '${text}'`);
  return n;
}

const durationSec = positiveNumber('BENCH_DURATION', 10);
const warmupSec = positiveNumber('BENCH_WARMUP', 2);
const connections = Math.round(positiveNumber('BENCH_CONNECTIONS', 50));
const logLevel = process.env.BENCH_TESSERA_LOG_LEVEL || 'warn';
const waitIdleSec = process.env.BENCH_WAIT_IDLE === '0' ? 0 : positiveNumber('BENCH_WAIT_IDLE', 0);
const cpuProfDir = process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : undefined;
const postgresBase = process.env.TESSERA_TEST_POSTGRES_URL || undefined;
const suites = (process.env.BENCH_SUITES || 'read,exchange').split(',').map((x) => x.trim());
for (const x of suites) if (x !== 'read' && x !== 'exchange') throw new Error(`BENCH_SUITES takes read and exchange, got '${x}'`);
const runRead = suites.includes('read');
const runExchange = suites.includes('exchange');

/** Cores used by unrelated processes during a measurement above which the report warns. */
const OTHER_LOAD_WARNING = 0.25;
const log = (line: string) => process.stdout.write(`${line}\n`);
/** Problems that make the figures meaningless (a non-200 answer, a failed check): exit 1. */
const failures: string[] = [];

async function measure(
  server: ServerChild,
  pathname: string,
  headers: Record<string, string>,
  postgresPort?: number,
  nextBody?: () => string,
): Promise<{ load: LoadResult; cpu: CpuShare | undefined }> {
  const url = `http://127.0.0.1:${server.port}${pathname}`;
  if (waitIdleSec > 0) await waitForIdle(waitIdleSec, OTHER_LOAD_WARNING, log);
  log(`  warm-up ${warmupSec} s …`);
  await runLoad({ url, headers, connections, durationSec: warmupSec, nextBody });
  log(`  measuring ${durationSec} s at ${connections} connections …`);
  // After the warm-up the pool's connections are open, so their backends can be found.
  const backends = postgresPort === undefined ? [] : postgresBackendsOf(server.pid, postgresPort);
  const before = snapshot(server.pid, backends);
  const result = await runLoad({ url, headers, connections, durationSec, nextBody });
  const cpu = share(before, snapshot(server.pid, backends));
  log(
    `  ${Math.round(result.requestsPerSecMean).toLocaleString('en-US')} req/s (mean), p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms, ` +
      `${result.totalResponses.toLocaleString('en-US')} responses, status ${JSON.stringify(result.statusCodes)}, errors ${result.errors}, timeouts ${result.timeouts}`,
  );
  if (cpu) {
    log(
      `  CPU (cores of ${os.cpus().length}): server ${cpu.server.toFixed(2)} (${Math.round((cpu.server * result.durationSec * 1e6) / result.totalResponses)} µs per response), load generator ${cpu.loadGenerator.toFixed(2)}, PostgreSQL${postgresPort === undefined ? '' : ` (${backends.length} backends)`} ${cpu.postgres.toFixed(2)}, other processes ${cpu.other.toFixed(2)}` +
        (cpu.other > OTHER_LOAD_WARNING ? '  ⚠ the machine was busy with other work: figures unreliable' : ''),
    );
  }
  return { load: result, cpu };
}

/** Peak RSS in MB, from the process itself (resourceUsage().maxRSS) and the kernel (VmHWM). */
async function peakRss(server: ServerChild): Promise<{ mb: number; maxRssKb: number; vmHwmKb: number | undefined }> {
  const stats = await server.stats();
  const vmHwmKb = server.vmHwmKb();
  const kb = Math.max(stats.maxRssKb, vmHwmKb ?? 0);
  return { mb: (kb * 1024) / 1e6, maxRssKb: stats.maxRssKb, vmHwmKb };
}

async function benchBare(): Promise<BenchRun> {
  log('\n== bare Fastify ==');
  const server = await startServer(path.join(HERE, 'bare-server.js'), []);
  try {
    log(`  pid ${server.pid}, port ${server.port}: ${server.description}`);
    const { load, cpu } = await measure(server, '/', {});
    if (load.non2xx !== 0 || load.errors !== 0) failures.push(`bare Fastify: ${load.non2xx} non-2xx responses, ${load.errors} errors`);
    const rss = await peakRss(server);
    log(`  peak RSS ${rss.mb.toFixed(1)} MB`);
    return { label: 'bare Fastify', server: 'bare', database: 'none', request: 'GET /', description: server.description, load, cpu, peakRssMb: rss.mb };
  } finally {
    await server.stop();
  }
}

const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' };
const EXCHANGE_PATH = '/api/oauth/token';

/** The exchange benchmark's keys, its signed JWTs and the baseline's results. */
interface ExchangeSetup {
  keys: Record<BenchAlgorithm, BenchKey>;
  jwts: Record<BenchAlgorithm, string[]>;
  bare: Partial<Record<BenchAlgorithm, BenchRun>>;
}

/**
 * JWTs signed before the baseline runs. The baseline has no replay check and cycles through them
 * (verifying a JWT again costs the same). Tessera needs a fresh one per request, so after the
 * baseline the pool is topped up to what the baseline's rate would use (Tessera does strictly more
 * per request); each database starts from the first JWT again, since `jti`s are per database.
 */
const INITIAL_JWTS = 10_000;

async function signMore(setup: ExchangeSetup, alg: BenchAlgorithm, count: number): Promise<void> {
  if (count <= 0) return;
  const started = performance.now();
  const have = setup.jwts[alg];
  const more = await signJwts(setup.keys[alg], count, have.length);
  for (const jwt of more) have.push(jwt);
  log(`  signed ${count.toLocaleString('en-US')} ${alg} JWTs in ${((performance.now() - started) / 1000).toFixed(1)} s (${have.length.toLocaleString('en-US')} in all)`);
}

async function prepareExchange(): Promise<ExchangeSetup> {
  log('\n== exchange: keys and signed ID tokens ==');
  const keys = { ES256: makeKey('ES256'), RS256: makeKey('RS256') };
  const setup: ExchangeSetup = { keys, jwts: { ES256: [], RS256: [] }, bare: {} };
  for (const alg of BENCH_ALGORITHMS) await signMore(setup, alg, INITIAL_JWTS);
  return setup;
}

async function topUpJwts(setup: ExchangeSetup): Promise<void> {
  log('\n== exchange: signing ID tokens for Tessera ==');
  for (const alg of BENCH_ALGORITHMS) {
    const load = setup.bare[alg]!.load;
    const rate = Math.max(load.requestsPerSecMean, load.requestsPerSecOverall);
    await signMore(setup, alg, Math.ceil(rate * (warmupSec + durationSec) * 1.2) + 4 * connections + 10 - setup.jwts[alg].length);
  }
}

async function benchBareExchange(setup: ExchangeSetup): Promise<BenchRun[]> {
  log('\n== bare Fastify + jose (exchange baseline) ==');
  const issuers = BENCH_ALGORITHMS.map((alg) => ({ url: ISSUER_URLS[alg], jwk: setup.keys[alg].publicJwk }));
  const server = await startServer(path.join(HERE, 'bare-exchange-server.js'), [JSON.stringify(issuers)]);
  try {
    log(`  pid ${server.pid}, port ${server.port}: ${server.description}`);
    const runs: BenchRun[] = [];
    for (const alg of BENCH_ALGORITHMS) {
      log(`  -- ${alg} --`);
      const pool = setup.jwts[alg];
      const probe = await fetch(`http://127.0.0.1:${server.port}${EXCHANGE_PATH}`, { method: 'POST', headers: FORM_HEADERS, body: exchangeForm(pool[0]!) });
      if (probe.status !== 200) throw new Error(`bare exchange (${alg}) answered ${probe.status} ${await probe.text()}`);
      let next = 0;
      const { load, cpu } = await measure(server, EXCHANGE_PATH, FORM_HEADERS, undefined, () => exchangeForm(pool[next++ % pool.length]!));
      if (load.non2xx !== 0 || load.errors !== 0) failures.push(`bare exchange (${alg}): ${load.non2xx} non-2xx responses, ${load.errors} errors`);
      const rss = await peakRss(server);
      const run: BenchRun = {
        label: 'bare Fastify + jose',
        server: 'bare',
        database: 'none',
        request: `POST ${EXCHANGE_PATH} (${alg})`,
        description: server.description,
        load,
        cpu,
        peakRssMb: rss.mb,
        exchange: { algorithm: alg, jwtsSigned: pool.length, jwtsUsed: next },
      };
      setup.bare[alg] = run;
      runs.push(run);
    }
    return runs;
  } finally {
    await server.stop();
  }
}

/** Exchanges on a running Tessera, one algorithm after the other, each JWT used once. */
async function benchTesseraExchange(server: ServerChild, label: string, database: 'sqlite' | 'postgres', postgresPort: number | undefined, exchange: ExchangeSetup): Promise<BenchRun[]> {
  const runs: BenchRun[] = [];
  for (const alg of BENCH_ALGORITHMS) {
    log(`  -- token exchange, ${alg} --`);
    const pool = exchange.jwts[alg];
    let next = 0;
    // One exchange by hand first: the setup works and the answer is an organization token.
    const probe = await fetch(`http://127.0.0.1:${server.port}${EXCHANGE_PATH}`, { method: 'POST', headers: FORM_HEADERS, body: exchangeForm(pool[next++]!) });
    const body = (await probe.json()) as { access_token?: unknown; token_type?: unknown; issued_token_type?: unknown; error?: unknown; error_description?: unknown };
    if (probe.status !== 200 || typeof body.access_token !== 'string' || body.token_type !== 'token' || body.issued_token_type !== 'urn:pulumi:token-type:access_token:organization') {
      throw new Error(`${label}: the ${alg} exchange answered ${probe.status} ${JSON.stringify({ ...body, access_token: typeof body.access_token })}`);
    }
    const { load, cpu } = await measure(server, EXCHANGE_PATH, FORM_HEADERS, postgresPort, () => exchangeForm(pool[next++ % pool.length]!));
    if (next > pool.length) failures.push(`${label} (${alg}): the ${pool.length} signed JWTs ran out (${next} requests built); reused ones were refused`);
    const non200 = load.totalResponses - (load.statusCodes['200'] ?? 0);
    if (load.non2xx !== 0 || non200 !== 0 || load.errors !== 0 || load.timeouts !== 0) {
      failures.push(`${label} (${alg} exchange): ${non200} responses other than 200 (${JSON.stringify(load.statusCodes)}), ${load.errors} errors, ${load.timeouts} timeouts`);
    }
    const rss = await peakRss(server);
    const bare = exchange.bare[alg]!;
    const ratio = load.requestsPerSecMean / bare.load.requestsPerSecMean;
    log(`  ratio Tessera ÷ bare (${alg} exchange): ${ratio.toFixed(3)}; ${next.toLocaleString('en-US')} of ${pool.length.toLocaleString('en-US')} JWTs used`);
    runs.push({
      label,
      server: 'tessera',
      database,
      request: `POST ${EXCHANGE_PATH} (${alg})`,
      description: server.description,
      load,
      cpu,
      peakRssMb: rss.mb,
      ratio,
      exchange: { algorithm: alg, jwtsSigned: pool.length, jwtsUsed: next },
    });
  }
  return runs;
}

async function benchTessera(database: 'sqlite' | 'postgres', databaseUrl: string, bare: BenchRun | undefined, extra: Record<string, unknown>[], exchange: ExchangeSetup | undefined): Promise<BenchRun[]> {
  const label = `Tessera (${database === 'sqlite' ? 'SQLite' : 'PostgreSQL'})`;
  log(`\n== ${label} ==`);
  log(`  seeding ${SEEDED_TOKENS.toLocaleString('en-US')} tokens in batched transactions, then the caller through createUser/setMember/issueToken …`);
  const seed = await seedDatabase(databaseUrl, log);
  log(`  seeded in ${(seed.ms / 1000).toFixed(1)} s: ${JSON.stringify(seed.counts)}`);
  if (seed.counts.tokens < SEEDED_TOKENS) failures.push(`${label}: only ${seed.counts.tokens} tokens seeded`);
  if (exchange) {
    await seedExchange(databaseUrl, BENCH_ALGORITHMS.map((alg) => exchange.keys[alg]));
    log(`  exchange setup: organization, ${BENCH_ALGORITHMS.length} issuers with a static jwks (${BENCH_ALGORITHMS.join(', ')}), one allow policy each`);
  }

  const execArgv = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`, `--cpu-prof-name=tessera-${database}-${Date.now()}.cpuprofile`, '--cpu-prof-interval=250'] : [];
  const server = await startServer(path.join(HERE, 'tessera-server.js'), [databaseUrl], { env: { BENCH_TESSERA_LOG_LEVEL: logLevel }, execArgv });
  const runs: BenchRun[] = [];
  try {
    log(`  pid ${server.pid}, port ${server.port}: ${server.description}${cpuProfDir ? ` [--cpu-prof → ${cpuProfDir}]` : ''}`);
    const postgresPort = database === 'postgres' ? Number(new URL(databaseUrl).port || 5432) : undefined;
    if (bare) {
      const headers = { authorization: `token ${seed.tokenValue}` };

      // One request by hand first: the token works and the reply describes the seeded caller.
      const probe = await fetch(`http://127.0.0.1:${server.port}/api/user`, { headers });
      const body = (await probe.json()) as { githubLogin?: string; organizations?: unknown[] };
      if (probe.status !== 200 || body.githubLogin !== seed.login || body.organizations?.length !== seed.memberships) {
        throw new Error(`${label}: GET /api/user answered ${probe.status} ${JSON.stringify(body)}`);
      }

      const { load, cpu } = await measure(server, '/api/user', headers, postgresPort);
      const non200 = load.totalResponses - (load.statusCodes['200'] ?? 0);
      if (load.non2xx !== 0 || non200 !== 0 || load.errors !== 0 || load.timeouts !== 0) {
        failures.push(`${label}: ${non200} responses other than 200 (${JSON.stringify(load.statusCodes)}), ${load.errors} errors, ${load.timeouts} timeouts`);
      }
      const rss = await peakRss(server);
      log(`  peak RSS ${rss.mb.toFixed(1)} MB (maxRSS ${rss.maxRssKb} kB, VmHWM ${rss.vmHwmKb ?? 'n/a'} kB)`);
      const ratio = load.requestsPerSecMean / bare.load.requestsPerSecMean;
      log(`  ratio Tessera ÷ bare: ${ratio.toFixed(3)}`);
      extra.push({ database, seed: { counts: seed.counts, seconds: seed.ms / 1000, callerMemberships: seed.memberships }, rss });
      runs.push({ label, server: 'tessera', database, request: 'GET /api/user', description: server.description, load, cpu, peakRssMb: rss.mb, ratio });
    }
    if (exchange) runs.push(...(await benchTesseraExchange(server, label, database, postgresPort, exchange)));
    return runs;
  } finally {
    await server.stop();
    const lines = server.outputLines();
    if (lines.some((l) => l.includes(seed.tokenValue))) failures.push(`${label}: the token value reached the server's output`);
    if (lines.length > 0) log(`  server output (${lines.length} lines${lines.length >= 500 ? ', first 500 kept' : ''}); first: ${lines[0]!.slice(0, 300)}`);
  }
}

async function withSqlite<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-'));
  try {
    return await fn(`sqlite:${path.join(dir, 'tessera.db')}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function withPostgresSchema<T>(base: string, fn: (url: string) => Promise<T>): Promise<T> {
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const url = new URL(base);
  url.searchParams.set('schema', schema);
  try {
    return await fn(url.toString());
  } finally {
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    try {
      await client.query(`drop schema if exists ${schema} cascade`);
    } finally {
      await client.end();
    }
  }
}

async function main(): Promise<void> {
  const cpus = os.cpus();
  const loadAtStart = os.loadavg().map((x) => Number(x.toFixed(2)));
  const context =
    `${connections} connections, ${durationSec} s measured after ${warmupSec} s warm-up, autocannon in its own process, servers on 127.0.0.1; ` +
    `${SEEDED_TOKENS.toLocaleString('en-US')} seeded tokens (${SEED_SHAPE.users.toLocaleString('en-US')} users × ${SEED_SHAPE.personalTokensPerUser} personal, ` +
    `${SEED_SHAPE.orgs} orgs × ${SEED_SHAPE.orgTokensPerOrg} organization, ${SEED_SHAPE.orgs * SEED_SHAPE.teamsPerOrg} teams × ${SEED_SHAPE.teamTokensPerTeam} team); ` +
    `Tessera logs at '${logLevel}' (pino JSON to stdout); Node ${process.version}, ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}. ` +
    `Latency percentiles over every response, sub-millisecond.`;
  log(`Tessera benchmark: ${context}`);
  log(`load average at start: ${loadAtStart.join(', ')}`);
  if (cpuProfDir) {
    fs.mkdirSync(cpuProfDir, { recursive: true });
    log(`CPU profiling Tessera into ${cpuProfDir}: figures include the profiler's overhead`);
  }

  const runs: BenchRun[] = [];
  const extra: Record<string, unknown>[] = [];
  const bare = runRead ? await benchBare() : undefined;
  if (bare) runs.push(bare);
  const exchange = runExchange ? await prepareExchange() : undefined;
  if (exchange) {
    runs.push(...(await benchBareExchange(exchange)));
    await topUpJwts(exchange);
  }
  runs.push(...(await withSqlite((url) => benchTessera('sqlite', url, bare, extra, exchange))));
  if (postgresBase) {
    runs.push(...(await withPostgresSchema(postgresBase, (url) => benchTessera('postgres', url, bare, extra, exchange))));
  } else {
    log('\n(TESSERA_TEST_POSTGRES_URL is not set: PostgreSQL skipped)');
  }

  const checks = checkTargets(runs);
  const busy = runs.filter((r) => (r.cpu?.other ?? 0) > OTHER_LOAD_WARNING);
  const warning = busy.length
    ? `⚠ Other processes used ${busy.map((r) => `${r.cpu!.other.toFixed(2)} cores during ${r.label}`).join(', ')}: these figures are unreliable; rerun on an idle machine.`
    : '';
  const table = markdown(runs, checks, warning ? `${context}\n\n${warning}` : context);
  log('\n== summary ==\n');
  log(table);
  log('');
  for (const c of checks) log(`${verdict(c.met).padEnd(6)} ${c.target} [${c.database}]: ${c.measured}`);

  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  const report = {
    generatedAt: new Date().toISOString(),
    settings: { connections, durationSec, warmupSec, waitIdleSec, tesseraLogLevel: logLevel, cpuProfile: cpuProfDir !== undefined, seededTokens: SEEDED_TOKENS, seedShape: SEED_SHAPE, suites },
    machine: { loadAverageAtStart: loadAtStart, node: process.version, platform: `${os.platform()} ${os.release()}`, cpus: cpus.length, cpuModel: cpus[0]?.model.trim() ?? null, totalMemMb: Math.round(os.totalmem() / 1e6) },
    targets: TARGETS,
    runs,
    checks,
    details: extra,
    failures,
    valid: failures.length === 0,
    markdown: table,
  };
  fs.writeFileSync(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
  log(`\nwrote ${path.relative(ROOT, RESULTS)}`);

  if (failures.length > 0) {
    log(`\nINVALID RUN:\n  ${failures.join('\n  ')}`);
    process.exitCode = 1;
  }
  // Missed targets do not fail the run: a benchmark reports, it does not gate.
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
