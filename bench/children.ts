import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { ListeningMessage, ServerMessage, StatsMessage } from './protocol.js';

export interface ServerChild {
  child: ChildProcess;
  pid: number;
  port: number;
  description: string;
  /** Lines the server wrote to stdout and stderr (its logs). */
  outputLines(): string[];
  /** The process's own view: resourceUsage().maxRSS and memoryUsage(). */
  stats(): Promise<StatsMessage>;
  /** VmHWM from /proc/<pid>/status (the kernel's peak RSS), in kilobytes; undefined off Linux. */
  vmHwmKb(): number | undefined;
  /** Asks the server to close and exit normally; SIGKILL after 15 s. */
  stop(): Promise<number | null>;
}

/** Forks `node <script> ...args` with an IPC channel and waits for its 'listening' message. */
export async function startServer(script: string, args: string[], opts: { env?: Record<string, string>; execArgv?: string[] } = {}): Promise<ServerChild> {
  const child = fork(script, args, {
    env: { ...process.env, ...(opts.env ?? {}) },
    execArgv: opts.execArgv ?? [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const lines: string[] = [];
  let partial = '';
  const collect = (d: Buffer) => {
    const parts = (partial + d.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    // Keep the first few hundred lines: enough to explain a failure, bounded under load.
    for (const p of parts) if (p !== '' && lines.length < 500) lines.push(p);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const listening = await new Promise<ListeningMessage>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start within 30 s:\n${lines.join('\n')}`)), 30_000);
    child.on('message', (m: ServerMessage) => {
      if (m.type === 'listening') {
        clearTimeout(timer);
        resolve(m);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before listening:\n${[...lines, partial].join('\n')}`));
    });
  });

  return {
    child,
    pid: child.pid!,
    port: listening.port,
    description: listening.description,
    outputLines: () => (partial ? [...lines, partial] : [...lines]),
    stats: () =>
      new Promise<StatsMessage>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no stats reply within 5 s')), 5_000);
        const onMessage = (m: ServerMessage) => {
          if (m.type !== 'stats') return;
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve(m);
        };
        child.on('message', onMessage);
        child.send({ type: 'stats' });
      }),
    vmHwmKb: () => {
      try {
        const m = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return m ? Number(m[1]) : undefined;
      } catch {
        return undefined;
      }
    },
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
