import type { CpuShare } from './cpu.js';
import type { LoadResult } from './load.js';

export interface BenchRun {
  label: string;
  server: 'bare' | 'tessera';
  database: 'none' | 'sqlite' | 'postgres';
  request: string;
  description: string;
  load: LoadResult;
  /** Cores used during the measured window (Linux only). */
  cpu: CpuShare | undefined;
  /** Peak resident set size of the server process, in MB (10^6 bytes). */
  peakRssMb: number;
  /** Tessera requests/s ÷ bare Fastify requests/s, both means; undefined for the baseline itself. */
  ratio?: number;
  /** Set for the exchange benchmark (POST /api/oauth/token): the subject tokens' algorithm. */
  exchange?: { algorithm: string; jwtsSigned: number; jwtsUsed: number };
}

export interface TargetCheck {
  target: string;
  database: string;
  measured: string;
  met: boolean;
}

export const TARGETS = { ratio: 0.6, p99Ms: 10, peakRssMb: 200, exchangeRatioSqlite: 0.5 } as const;

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
/** Server CPU time per response, in microseconds: less sensitive to a busy machine than req/s. */
export function cpuPerRequestUs(r: BenchRun, who: 'server' | 'postgres' = 'server'): number {
  return r.cpu ? (r.cpu[who] * r.load.durationSec * 1e6) / r.load.totalResponses : NaN;
}

export const verdict = (met: boolean) => (met ? 'MET' : 'MISSED');

/** The per-target verdicts for each Tessera run. */
export function checkTargets(runs: BenchRun[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const r of runs.filter((x) => x.server === 'tessera' && x.exchange && x.database === 'sqlite')) {
    checks.push({ target: `Exchange (${r.exchange!.algorithm}) Tessera ÷ bare req/s ≥ ${TARGETS.exchangeRatioSqlite}`, database: 'SQLite', measured: fmt(r.ratio ?? NaN), met: (r.ratio ?? 0) >= TARGETS.exchangeRatioSqlite });
  }
  for (const r of runs.filter((x) => x.server === 'tessera' && !x.exchange)) {
    const db = r.database === 'sqlite' ? 'SQLite' : 'PostgreSQL';
    checks.push({ target: `Tessera ÷ bare req/s ≥ ${TARGETS.ratio}`, database: db, measured: fmt(r.ratio ?? NaN), met: (r.ratio ?? 0) >= TARGETS.ratio });
    checks.push({ target: `Tessera p99 ≤ ${TARGETS.p99Ms} ms`, database: db, measured: `${fmt(r.load.latencyMs.p99)} ms`, met: r.load.latencyMs.p99 <= TARGETS.p99Ms });
    checks.push({ target: `Tessera peak RSS ≤ ${TARGETS.peakRssMb} MB`, database: db, measured: `${fmt(r.peakRssMb, 1)} MB`, met: r.peakRssMb <= TARGETS.peakRssMb });
  }
  return checks;
}

/** The summary as Markdown, ready to paste into the README. */
export function markdown(all: BenchRun[], checks: TargetCheck[], context: string): string {
  const runs = all.filter((r) => !r.exchange);
  const exchanges = all.filter((r) => r.exchange);
  const lines = [
    ...(runs.length === 0
      ? []
      : [
          '| Server | Request | Req/s (mean) | p50 (ms) | p99 (ms) | Tessera ÷ bare | Peak RSS (MB) | Server CPU (cores) | Server CPU per request (µs) | PostgreSQL CPU per request (µs) |',
          '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
          ...runs.map(
            (r) =>
              `| ${r.label} | \`${r.request}\` | ${int(r.load.requestsPerSecMean)} | ${fmt(r.load.latencyMs.p50)} | ${fmt(r.load.latencyMs.p99)} | ${r.ratio === undefined ? '1 (baseline)' : fmt(r.ratio)} | ${fmt(r.peakRssMb, 1)} | ${r.cpu ? fmt(r.cpu.server) : 'n/a'} | ${r.cpu ? int(cpuPerRequestUs(r)) : 'n/a'} | ${r.database !== 'postgres' ? '–' : r.cpu ? int(cpuPerRequestUs(r, 'postgres')) : 'n/a'} |`,
          ),
          '',
        ]),
    ...(exchanges.length === 0
      ? []
      : [
          '| Server (token exchange) | Algorithm | Req/s (mean) | p50 (ms) | p99 (ms) | Tessera ÷ bare | Server CPU (cores) | Server CPU per request (µs) | PostgreSQL CPU per request (µs) |',
          '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
          ...exchanges.map(
            (r) =>
              `| ${r.label} | ${r.exchange!.algorithm} | ${int(r.load.requestsPerSecMean)} | ${fmt(r.load.latencyMs.p50)} | ${fmt(r.load.latencyMs.p99)} | ${r.ratio === undefined ? '1 (baseline)' : fmt(r.ratio)} | ${r.cpu ? fmt(r.cpu.server) : 'n/a'} | ${r.cpu ? int(cpuPerRequestUs(r)) : 'n/a'} | ${r.database !== 'postgres' ? '–' : r.cpu ? int(cpuPerRequestUs(r, 'postgres')) : 'n/a'} |`,
          ),
          '',
        ]),
    '| Target | Database | Measured | Result |',
    '| --- | --- | ---: | --- |',
    ...checks.map((c) => `| ${c.target} | ${c.database} | ${c.measured} | ${c.met ? '✅ MET' : '❌ MISSED'} |`),
    '',
    context,
  ];
  return lines.join('\n');
}
