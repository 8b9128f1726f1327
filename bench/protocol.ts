/**
 * Messages between bench/run.ts and the server processes it forks (over Node's IPC channel).
 * The servers run in their own processes so the load generator never shares their event loop.
 */

/** Sent by a server once it listens. */
export interface ListeningMessage {
  type: 'listening';
  port: number;
  /** What the process runs, printed in the report (e.g. the logger choice). */
  description: string;
}

/** Sent by a server in answer to `{ type: 'stats' }`. */
export interface StatsMessage {
  type: 'stats';
  /** process.resourceUsage().maxRSS: peak resident set size of the process, in kilobytes. */
  maxRssKb: number;
  /** Current resident set size, in bytes. */
  rss: number;
  heapUsed: number;
}

export type ServerMessage = ListeningMessage | StatsMessage;

export type ControlMessage = { type: 'stats' } | { type: 'stop' };

/** Answers the runner's control messages; `close` stops the server and frees what it holds. */
export function serveControl(close: () => Promise<void>): void {
  process.on('message', (raw: unknown) => {
    const msg = raw as ControlMessage;
    if (msg.type === 'stats') {
      const mem = process.memoryUsage();
      send({ type: 'stats', maxRssKb: process.resourceUsage().maxRSS, rss: mem.rss, heapUsed: mem.heapUsed });
    } else if (msg.type === 'stop') {
      // A normal exit (not a signal) so --cpu-prof, when given, writes its profile.
      close().then(
        () => process.exit(0),
        (err: unknown) => {
          process.stderr.write(`close failed: ${String(err)}\n`);
          process.exit(1);
        },
      );
    }
  });
  // The runner died: do not linger as an orphan holding a port.
  process.on('disconnect', () => process.exit(0));
}

export function send(msg: ServerMessage): void {
  process.send?.(msg);
}
