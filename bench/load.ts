import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  headers?: Record<string, string>;
  connections: number;
  durationSec: number;
  /** POST with a fresh body per request (each connection asks for the next one as it sends). */
  nextBody?: () => string;
}

export interface LoadResult {
  /** Mean of the per-second request counts (autocannon's requests.mean). */
  requestsPerSecMean: number;
  /** All responses, divided by the run's duration. */
  requestsPerSecOverall: number;
  totalResponses: number;
  /** Latency percentiles over every response, recorded here with sub-millisecond precision. */
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  /** autocannon's own percentiles: whole milliseconds, 2xx responses only. */
  autocannonLatencyMs: { p50: number; p99: number };
  statusCodes: Record<string, number>;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSec: number;
}

/** Runs autocannon in this process against `url` (a server in another process). */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  const nextBody = options.nextBody;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    // The callback overload returns the instance, whose 'response' events carry each latency.
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationSec,
        pipelining: 1,
        headers: options.headers ?? {},
        ...(nextBody ? { method: 'POST' as const, requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, body: nextBody() }) }] } : {}),
      },
      (err, res) => (err ? reject(err as Error) : resolve(res)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime);
      statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
    });
  });
  const sorted = Float64Array.from(latencies).sort();
  const pct = (p: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
  const mean = sorted.length === 0 ? NaN : sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return {
    requestsPerSecMean: result.requests.mean,
    requestsPerSecOverall: latencies.length / result.duration,
    totalResponses: latencies.length,
    latencyMs: { mean, p50: pct(50), p90: pct(90), p99: pct(99), max: sorted.length === 0 ? NaN : sorted[sorted.length - 1]! },
    autocannonLatencyMs: { p50: result.latency.p50, p99: result.latency.p99 },
    statusCodes,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSec: result.duration,
  };
}
