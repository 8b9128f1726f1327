import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './support/server-process.js';

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

function imports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => (m[1] ?? m[2])!);
}

/** Which src/ layer a resolved import lands in, or the package name for a bare specifier. */
function target(file: string, spec: string): string {
  if (!spec.startsWith('.')) return spec.startsWith('node:') ? 'node' : spec;
  const resolved = path.relative(path.join(ROOT, 'src'), path.resolve(path.dirname(file), spec));
  return resolved.split(path.sep)[0]!;
}

describe('architecture', () => {
  it('dependencies point one way: http → domain ← storage; the domain imports only node built-ins', () => {
    const problems: string[] = [];
    for (const file of sourceFiles(path.join(ROOT, 'src'))) {
      const layer = path.relative(path.join(ROOT, 'src'), file).split(path.sep)[0];
      for (const spec of imports(file)) {
        const to = target(file, spec);
        // jose is the one library the domain may use, and only in oidc/ (JWK import, JWT verification).
        const joseInOidc = to === 'jose' && file.includes(`${path.sep}domain${path.sep}oidc${path.sep}`);
        if (layer === 'domain' && !['domain', 'node'].includes(to) && !joseInOidc) problems.push(`${file} imports ${spec}`);
        if (layer === 'storage' && ['http', 'cli'].includes(to)) problems.push(`${file} imports ${spec}`);
        if (layer === 'http' && ['cli'].includes(to)) problems.push(`${file} imports ${spec}`);
        if (layer === 'storage' && to === 'storage' && file.includes(`${path.sep}migrations${path.sep}`) && !spec.startsWith('./')) {
          problems.push(`${file}: migrations never import application code (${spec})`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it('no process.env outside config.ts and the CLI entry points', () => {
    const offenders = sourceFiles(path.join(ROOT, 'src'))
      .filter((f) => !f.endsWith(`${path.sep}config.ts`) && !f.includes(`${path.sep}cli${path.sep}`))
      .filter((f) => /process\.env/.test(fs.readFileSync(f, 'utf8')));
    assert.deepEqual(offenders, []);
  });
});
