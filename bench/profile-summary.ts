import fs from 'node:fs';
import path from 'node:path';

// Summarises a V8 .cpuprofile (from `BENCH_CPU_PROF=<dir> npm run bench`): where the busy time
// went, by function (self and inclusive) and by package.
// Usage: node dist/bench/profile-summary.js <file.cpuprofile> [rows=30] [filter-substring]

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, rowsText, filter] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary.js <file.cpuprofile> [rows] [filter]');
const rows = Number(rowsText ?? 30);
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;

const byId = new Map<number, ProfileNode>();
const parent = new Map<number, number>();
for (const n of profile.nodes) {
  byId.set(n.id, n);
  for (const c of n.children ?? []) parent.set(c, n.id);
}

function where(url: string): string {
  if (url === '') return '';
  const clean = url.replace(/^file:\/\//, '');
  const nm = clean.lastIndexOf('/node_modules/');
  if (nm !== -1) return clean.slice(nm + '/node_modules/'.length);
  if (clean.startsWith('node:')) return clean;
  const dist = clean.indexOf('/dist/');
  return dist !== -1 ? clean.slice(dist + 1) : path.basename(clean);
}
const key = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${where(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
function pkg(n: ProfileNode): string {
  const url = n.callFrame.url;
  if (url === '') return n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : '(native)';
  const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.startsWith('node:')) return 'node:' + (url.slice(5).split('/')[0] ?? '');
  const d = /\/dist\/(src\/[^/]+|bench)/.exec(url);
  return d ? d[1]! : url;
}

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const packages = new Map<string, number>();
let busy = 0;
let idle = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const node = byId.get(profile.samples[i]!)!;
  const dt = profile.timeDeltas[i] ?? 0;
  if (node.callFrame.functionName === '(idle)') {
    idle += dt;
    continue;
  }
  busy += dt;
  self.set(key(node), (self.get(key(node)) ?? 0) + dt);
  packages.set(pkg(node), (packages.get(pkg(node)) ?? 0) + dt);
  const seen = new Set<string>();
  for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
    const k = key(byId.get(id)!);
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
  }
}

const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
const top = (m: Map<string, number>, n: number) =>
  [...m]
    .filter(([k]) => !filter || k.includes(filter))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n);
console.log(`busy ${(busy / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s (percentages are of busy time)`);
console.log('\n-- self time by package --');
for (const [k, v] of top(packages, rows)) console.log(`${pct(v)}  ${k}`);
console.log('\n-- self time by function --');
for (const [k, v] of top(self, rows)) console.log(`${pct(v)}  ${k}`);
console.log('\n-- inclusive time by function --');
for (const [k, v] of top(inclusive, rows)) console.log(`${pct(v)}  ${k}`);
