import fs from 'node:fs';

// CPU accounting during a measurement, from /proc (Linux): how many cores the server, the load
// generator (this process), PostgreSQL and everything else used. On a small machine the
// load generator and the database compete with the server, and other work on the machine makes
// the figures meaningless, so the report says how busy it was.

const HZ = 100; // USER_HZ: /proc/stat and /proc/<pid>/stat count in 1/100 s on Linux.

interface Snapshot {
  at: number;
  machineBusy: number;
  server: number;
  postgres: number;
  self: NodeJS.CpuUsage;
}

export interface CpuShare {
  /** Cores used on average over the window. */
  server: number;
  loadGenerator: number;
  /** The PostgreSQL backends serving the server's connections. */
  postgres: number;
  /** Everything else on the machine: other people's work, the kernel's own threads. */
  other: number;
  machine: number;
}

function machineBusyTicks(): number {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return user! + nice! + system! + irq! + softirq! + steal!;
}

/** utime + stime of one process, in ticks, and its command name. */
function processTicks(pid: number | string): { ticks: number; comm: string } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // After "pid (comm) ": state is field 3, utime 14 and stime 15 (1-based) → indexes 11 and 12 here.
    return { ticks: Number(fields[11]) + Number(fields[12]), comm };
  } catch {
    return undefined;
  }
}

function socketInodes(pid: number | string): Set<string> {
  const inodes = new Set<string>();
  try {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // gone, or not ours to read
  }
  return inodes;
}

/** TCP sockets as [local port, remote port, inode], IPv4 and IPv6. */
function tcpSockets(): Array<[number, number, string]> {
  const rows: Array<[number, number, string]> = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      rows.push([parseInt(f[1]!.split(':')[1]!, 16), parseInt(f[2]!.split(':')[1]!, 16), f[9]!]);
    }
  }
  return rows;
}

/**
 * The PostgreSQL backend processes serving `serverPid`'s connections to `pgPort`: the backends whose
 * socket's peer port is one of the server's local ports. Other users' backends are left out, so
 * they count as "other processes", not as our database's work.
 */
export function postgresBackendsOf(serverPid: number, pgPort: number): number[] {
  if (!available()) return [];
  const sockets = tcpSockets();
  const mine = socketInodes(serverPid);
  const clientPorts = new Set(sockets.filter(([, remote, inode]) => remote === pgPort && mine.has(inode)).map(([local]) => local));
  if (clientPorts.size === 0) return [];
  const backendInodes = new Set(sockets.filter(([local, remote]) => local === pgPort && clientPorts.has(remote)).map(([, , inode]) => inode));
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const p = processTicks(entry);
    if (!p || !(p.comm === 'postgres' || p.comm.startsWith('postgres:'))) continue;
    for (const inode of socketInodes(entry)) {
      if (backendInodes.has(inode)) {
        pids.push(Number(entry));
        break;
      }
    }
  }
  return pids;
}

function ticksOf(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + (processTicks(pid)?.ticks ?? 0), 0);
}

export function available(): boolean {
  return fs.existsSync('/proc/stat');
}

/** `postgresPids`: the backends serving the server (postgresBackendsOf), if it uses PostgreSQL. */
export function snapshot(serverPid: number, postgresPids: readonly number[] = []): Snapshot | undefined {
  if (!available()) return undefined;
  return { at: performance.now(), machineBusy: machineBusyTicks(), server: processTicks(serverPid)?.ticks ?? 0, postgres: ticksOf(postgresPids), self: process.cpuUsage() };
}

export function share(before: Snapshot | undefined, after: Snapshot | undefined): CpuShare | undefined {
  if (!before || !after) return undefined;
  const seconds = (after.at - before.at) / 1000;
  const cores = (ticks: number) => ticks / HZ / seconds;
  const self = process.cpuUsage(before.self);
  const loadGenerator = (self.user + self.system) / 1e6 / seconds;
  const server = cores(after.server - before.server);
  const postgres = cores(after.postgres - before.postgres);
  const machine = cores(after.machineBusy - before.machineBusy);
  return { server, loadGenerator, postgres, other: Math.max(0, machine - server - postgres - loadGenerator), machine };
}

/** Cores the whole machine used over `ms`, this process included. */
export async function machineCores(ms: number): Promise<number | undefined> {
  if (!available()) return undefined;
  const a = machineBusyTicks();
  const t = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  return (machineBusyTicks() - a) / HZ / ((performance.now() - t) / 1000);
}

/**
 * Waits, at most `maxSeconds`, for a second in which the machine is (nearly) idle, so a
 * measurement does not start in the middle of someone else's build. Returns the last reading.
 */
export async function waitForIdle(maxSeconds: number, threshold: number, log: (line: string) => void): Promise<number | undefined> {
  const deadline = performance.now() + maxSeconds * 1000;
  let cores = await machineCores(1000);
  if (cores === undefined || cores <= threshold) return cores;
  log(`  machine busy (${cores.toFixed(2)} cores in use); waiting up to ${maxSeconds} s for it to settle …`);
  while (cores !== undefined && cores > threshold && performance.now() < deadline) cores = await machineCores(1000);
  log(cores !== undefined && cores <= threshold ? `  machine idle (${cores.toFixed(2)} cores)` : `  still busy after ${maxSeconds} s (${cores?.toFixed(2)} cores); measuring anyway`);
  return cores;
}
