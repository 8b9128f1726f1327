import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseClaimPath } from '../src/domain/oidc/claim-path.js';
import { resolveClaim } from '../src/domain/oidc/resolve-claim.js';
import { compilePattern, type CompiledPattern } from '../src/domain/oidc/pattern.js';
import { escapePattern } from '../src/domain/oidc/escape-pattern.js';
import { validatePolicies, type CompiledPolicy } from '../src/domain/oidc/policy-definition.js';
import { policyWarnings } from '../src/domain/oidc/policy-warnings.js';
import { evaluatePolicies, type PolicyRequest } from '../src/domain/oidc/evaluate-policies.js';

function pattern(source: string): CompiledPattern {
  const r = compilePattern(source);
  assert.ok(r.ok, `pattern ${source} should compile: ${r.ok ? '' : r.reason}`);
  return r.pattern;
}

function policies(list: unknown[]): CompiledPolicy[] {
  const r = validatePolicies(list);
  assert.ok(r.ok, `policies should validate: ${r.ok ? '' : JSON.stringify(r.problems)}`);
  return r.policies;
}

const ORG: PolicyRequest = { tokenType: 'organization', wantsAdmin: false };
const ORG_ADMIN: PolicyRequest = { tokenType: 'organization', wantsAdmin: true };
const allowOrg = (rules: Record<string, string | string[]>, extra: object = {}) => ({ decision: 'allow', tokenType: 'organization', authorizedPermissions: [], rules, ...extra });
const denyOrg = (rules: Record<string, string | string[]>) => ({ decision: 'deny', tokenType: 'organization', authorizedPermissions: [], rules });

/** GitHub Actions-shaped claims. */
function ghClaims(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: 'https://token.actions.githubusercontent.com',
    aud: 'urn:pulumi:org:acme',
    sub: 'repo:acme/app:ref:refs/heads/main',
    repository: 'acme/app',
    repository_owner: 'acme',
    repository_id: '42',
    ref: 'refs/heads/main',
    ...over,
  };
}

describe('claim paths', () => {
  it('parses dot-separated keys and quoted keys containing dots', () => {
    assert.deepEqual(parseClaimPath('sub'), { ok: true, segments: ['sub'] });
    assert.deepEqual(parseClaimPath('a.b.c'), { ok: true, segments: ['a', 'b', 'c'] });
    assert.deepEqual(parseClaimPath('"kubernetes.io".pod.name'), { ok: true, segments: ['kubernetes.io', 'pod', 'name'] });
    assert.deepEqual(parseClaimPath('a."b.c"'), { ok: true, segments: ['a', 'b.c'] });
    assert.deepEqual(parseClaimPath('"a\\"b\\\\c"'), { ok: true, segments: ['a"b\\c'] });
    assert.deepEqual(parseClaimPath('__proto__.x'), { ok: true, segments: ['__proto__', 'x'] });
  });

  it('refuses malformed paths with a clear reason', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['"kubernetes.io.pod', /unterminated quote/],
      ['a..b', /empty segment/],
      ['.a', /empty segment/],
      ['a.', /empty segment/],
      ['""', /empty segment/],
      ['"a"b', /after a closing quote/],
      ['a"b"', /quote may only start/],
      ['"a\\x"', /backslash/],
      [Array(17).fill('a').join('.'), /more than 16 segments/],
      ['a'.repeat(257), /longer than 256/],
    ];
    for (const [path, reason] of cases) {
      const r = parseClaimPath(path);
      assert.equal(r.ok, false, path);
      if (!r.ok) assert.match(r.reason, reason, path);
    }
  });

  it('resolves nested and quoted paths; arrays are leaves', () => {
    const claims = { 'kubernetes.io': { pod: { name: 'web-1' } }, aud: ['x', 'y'], n: { m: null } };
    const seg = (p: string) => {
      const r = parseClaimPath(p);
      assert.ok(r.ok);
      return r.segments;
    };
    assert.deepEqual(resolveClaim(claims, seg('"kubernetes.io".pod.name')), { found: true, value: 'web-1' });
    assert.deepEqual(resolveClaim(claims, seg('kubernetes.io.pod.name')), { found: false });
    assert.deepEqual(resolveClaim(claims, seg('aud.length')), { found: false });
    assert.deepEqual(resolveClaim(claims, seg('aud.0')), { found: false });
    assert.deepEqual(resolveClaim(claims, seg('n.m')), { found: true, value: null });
    assert.deepEqual(resolveClaim(claims, seg('n.m.x')), { found: false });
    assert.deepEqual(resolveClaim('not an object', seg('a')), { found: false });
  });

  it('P12: __proto__, constructor and hasOwnProperty are read from the token only, never from the prototype', () => {
    const plain = { sub: 'x' };
    for (const name of ['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf']) {
      assert.deepEqual(resolveClaim(plain, [name]), { found: false }, name);
      assert.deepEqual(resolveClaim(plain, ['sub', name]), { found: false }, name);
    }
    const claims = JSON.parse('{"__proto__": {"admin": "yes"}, "constructor": "c", "hasOwnProperty": "h"}') as object;
    assert.deepEqual(resolveClaim(claims, ['__proto__', 'admin']), { found: true, value: 'yes' });
    assert.deepEqual(resolveClaim(claims, ['constructor']), { found: true, value: 'c' });
    assert.deepEqual(resolveClaim(claims, ['hasOwnProperty']), { found: true, value: 'h' });
    assert.equal(({} as Record<string, unknown>).admin, undefined, 'no prototype pollution');

    // End to end: a policy on claim "constructor" does not match a token without one, and a rule
    // named "__proto__" survives validation as a rule.
    const ps = policies([allowOrg({ sub: 'repo:acme/app:*', constructor: '*' }), allowOrg(JSON.parse('{"sub": "x", "__proto__": "p"}'))]);
    assert.deepEqual(ps[1]!.rules.map((r) => r.claimPath), ['sub', '__proto__']);
    assert.ok(Object.hasOwn(ps[1]!.definition.rules, '__proto__'));
    const r = evaluatePolicies(ps, ghClaims(), ORG);
    assert.equal(r.decision, 'deny');
    assert.deepEqual(r.trace[0]!.failedRule, { claimPath: 'constructor', failure: 'absent' });
    assert.equal(evaluatePolicies(ps, { ...ghClaims(), constructor: 'anything' }, ORG).decision, 'allow');
    assert.equal(evaluatePolicies(ps, JSON.parse('{"sub": "x", "__proto__": "p"}'), ORG).decision, 'allow');
  });
});

describe('patterns', () => {
  it('matches whole values with * (any run, including none), ? (one code point) and \\ escapes', () => {
    assert.ok(pattern('').matches(''));
    assert.ok(!pattern('').matches('a'));
    assert.ok(pattern('*').matches(''));
    assert.ok(pattern('a*b').matches('ab'));
    assert.ok(pattern('a*b').matches('axxxb'));
    assert.ok(!pattern('a*b').matches('axxxbc'));
    assert.ok(pattern('a?c').matches('abc'));
    assert.ok(!pattern('a?c').matches('ac'));
    assert.ok(!pattern('a?c').matches('abbc'));
    assert.ok(pattern('a\\*b').matches('a*b'));
    assert.ok(!pattern('a\\*b').matches('axb'));
    assert.ok(pattern('a\\?b').matches('a?b'));
    assert.ok(!pattern('a\\?b').matches('axb'));
    assert.ok(pattern('a\\\\b').matches('a\\b'));
    assert.ok(pattern('\\a').matches('a'), 'escaping an ordinary character makes it literal');
    assert.ok(pattern('?').matches('😀'), '? is one code point, not one UTF-16 unit');
    assert.ok(!pattern('??').matches('😀'));
    assert.ok(pattern('a*a').matches('aa'));
    assert.ok(!pattern('a*a').matches('a'), 'first and last segments never overlap');
  });

  it('refuses a trailing backslash', () => {
    const r = compilePattern('abc\\');
    assert.equal(r.ok, false);
  });

  it('P02: repo:org/* matches every present and future repository of the org; app* also matches app-evil', () => {
    const org = pattern('repo:acme/*');
    for (const s of ['repo:acme/app:ref:refs/heads/main', 'repo:acme/created-tomorrow:pull_request', 'repo:acme/x:environment:prod']) {
      assert.ok(org.matches(s), s);
    }
    assert.ok(!org.matches('repo:acme-evil/app:ref:refs/heads/main'));
    assert.ok(!org.matches('repo:other/app:ref:refs/heads/main'));
    const app = pattern('repo:acme/app*');
    assert.ok(app.matches('repo:acme/app:ref:refs/heads/main'));
    assert.ok(app.matches('repo:acme/app-evil:ref:refs/heads/main'), 'pinned: a prefix wildcard admits app-evil');
    assert.ok(pattern('repo:acme/app:*').matches('repo:acme/app:ref:refs/heads/main'));
    assert.ok(!pattern('repo:acme/app:*').matches('repo:acme/app-evil:ref:refs/heads/main'), 'the colon pins the repository name');
  });

  it('P03: * spans / and :, and the match is anchored on the whole string', () => {
    const p = pattern('repo:acme/app:ref:refs/heads/*');
    assert.ok(p.matches('repo:acme/app:ref:refs/heads/feat/x'), '* spans /');
    assert.ok(p.matches('repo:acme/app:ref:refs/heads/a:b'), '* spans :');
    assert.ok(p.matches('repo:acme/app:ref:refs/heads/'), '* matches none');
    assert.ok(!p.matches('repo:acme/app:ref:refs/tags/v1'));
    assert.ok(pattern('repo:*:ref:refs/heads/main').matches('repo:acme/app:ref:refs/heads/main'));
    assert.ok(pattern('repo:*').matches('repo:a/b:c:d/e'));
    assert.ok(!pattern('repo:acme/app:ref:refs/heads/?').matches('repo:acme/app:ref:refs/heads/ab'), '? is exactly one');
  });

  it('P04: regex metacharacters are literal', () => {
    assert.ok(pattern('repo:my.org/app').matches('repo:my.org/app'));
    assert.ok(!pattern('repo:my.org/app').matches('repo:myXorg/app'), '. is not a wildcard');
    assert.ok(pattern('(a|b)').matches('(a|b)'));
    assert.ok(!pattern('(a|b)').matches('a'));
    assert.ok(pattern('[ab]+$^{1}').matches('[ab]+$^{1}'));
    assert.ok(!pattern('[ab]').matches('a'));
    assert.ok(!pattern('a+').matches('aa'));
    assert.ok(pattern('\\\\d').matches('\\d'));
    assert.ok(!pattern('\\\\d').matches('1'));
    assert.equal(compilePattern('[').ok, true, 'an unbalanced bracket is an ordinary character');
    assert.ok(pattern('[').matches('['));
  });

  it('P05: matches are anchored at both ends', () => {
    const p = pattern('repo:org/app');
    assert.ok(p.matches('repo:org/app'));
    assert.ok(!p.matches('repo:org/app-fork:ref:refs/heads/main'));
    assert.ok(!p.matches('repo:org/app:ref:refs/heads/main'));
    assert.ok(!p.matches('xrepo:org/app'));
    assert.ok(!p.matches(' repo:org/app'));
    assert.ok(!p.matches('repo:org/app\n'));
  });

  it('P06: a 10 KB value against a pattern of the maximum 16 stars and an absent literal takes at most 10 ms', () => {
    const value = 'a'.repeat(10_240);
    const worst = [
      `${'*a'.repeat(15)}*b`, // the absent literal at the end
      `*${'a*'.repeat(14)}b*`, // absent in a middle segment
      `*${'a'.repeat(200)}b*${'?'.repeat(30)}*`, // long near-miss segment
      `${'*?'.repeat(16)}b`,
      `*${'?'.repeat(253)}b*`, // a full-length segment of ? (a naive leftmost search is n × k here)
      `*${'a'.repeat(127)}?${'a'.repeat(126)}b`,
    ];
    for (const source of worst) {
      const p = pattern(source);
      assert.equal(p.matches(value), false);
      const started = process.hrtime.bigint();
      for (let i = 0; i < 10; i++) p.matches(value);
      const perMatchMs = Number(process.hrtime.bigint() - started) / 1e6 / 10;
      assert.ok(perMatchMs <= 10, `${source.slice(0, 30)}…: ${perMatchMs.toFixed(2)} ms per match`);
    }
    // Same value, a literal that is present: still fast and correct.
    assert.ok(pattern(`${'*a'.repeat(15)}*`).matches(value));
  });

  it('P06: patterns over the caps (256 characters, 16 stars) are refused', () => {
    const fifty = compilePattern(`${'*'.repeat(50)}b`);
    assert.equal(fifty.ok, false);
    if (!fifty.ok) assert.match(fifty.reason, /16 \* wildcards/);
    assert.equal(compilePattern(`${'*a'.repeat(16)}`).ok, true);
    assert.equal(compilePattern(`${'*a'.repeat(17)}`).ok, false);
    assert.equal(compilePattern(`${'\\*'.repeat(40)}`).ok, true, 'escaped stars are literals and do not count');
    assert.equal(compilePattern('a'.repeat(256)).ok, true);
    const long = compilePattern('a'.repeat(257));
    assert.equal(long.ok, false);
    if (!long.ok) assert.match(long.reason, /longer than 256/);
    assert.equal(compilePattern('😀'.repeat(256)).ok, true, 'length counts code points');
    const r = validatePolicies([allowOrg({ sub: `repo:acme/${'*'.repeat(50)}` })]);
    assert.equal(r.ok, false);
    if (!r.ok) assert.deepEqual(r.problems.map((p) => [p.index, p.field]), [[0, 'rules["sub"]']]);
  });

  it('P07: exact code points: no case folding, no full-width or homoglyph equivalence, no normalisation', () => {
    const p = pattern('repo:Org/App');
    assert.ok(p.matches('repo:Org/App'));
    assert.ok(!p.matches('repo:org/app'));
    assert.ok(!p.matches('repo:ORG/APP'));
    assert.ok(!pattern('repo:acme/app').matches('repo:ａcme/app'), 'full-width a');
    assert.ok(!pattern('repo:acme/app').matches('repo:аcme/app'), 'Cyrillic а');
    const nfc = 'café'.normalize('NFC');
    const nfd = 'café'.normalize('NFD');
    assert.notEqual(nfc, nfd);
    assert.ok(pattern(nfc).matches(nfc));
    assert.ok(!pattern(nfc).matches(nfd));
    assert.ok(!pattern(nfd).matches(nfc));
    assert.ok(pattern('caf?').matches(nfc));
    assert.ok(!pattern('caf?').matches(nfd), 'NFD é is two code points');
    assert.ok(!pattern('ß').matches('ss'));
  });
});

/** A straightforward reference: parse to tokens, then memoised recursion over positions. */
function referenceMatch(source: string, value: string): boolean | 'invalid' {
  const chars = Array.from(source);
  const tokens: ({ lit: string } | 'one' | 'any')[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\\') {
      if (i + 1 >= chars.length) return 'invalid';
      tokens.push({ lit: chars[++i]! });
    } else if (c === '*') tokens.push('any');
    else if (c === '?') tokens.push('one');
    else tokens.push({ lit: c });
  }
  const v = Array.from(value);
  const memo = new Map<string, boolean>();
  const go = (t: number, i: number): boolean => {
    const key = `${t},${i}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let r: boolean;
    if (t === tokens.length) r = i === v.length;
    else {
      const tok = tokens[t]!;
      if (tok === 'any') r = go(t + 1, i) || (i < v.length && go(t, i + 1));
      else if (tok === 'one') r = i < v.length && go(t + 1, i + 1);
      else r = i < v.length && v[i] === tok.lit && go(t + 1, i + 1);
    }
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

describe('pattern properties', () => {
  const patternChar = fc.constantFrom('a', 'b', '*', '?', '\\', '.', '/', '😀');
  const valueChar = fc.constantFrom('a', 'b', '.', '*', '?', '\\', '/', '😀');

  it('agrees with a reference matcher on random patterns and values', () => {
    fc.assert(
      fc.property(fc.array(patternChar, { maxLength: 14 }), fc.array(valueChar, { maxLength: 14 }), (pc, vc) => {
        const source = pc.join('');
        const value = vc.join('');
        const expected = referenceMatch(source, value);
        const compiled = compilePattern(source);
        if (expected === 'invalid') return !compiled.ok;
        return compiled.ok && compiled.pattern.matches(value) === expected;
      }),
      { numRuns: 5000 },
    );
  });

  it('agrees with the reference on long segments (multi-word bit-parallel search)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', '?', '😀'), { minLength: 30, maxLength: 80 }),
        fc.array(fc.constantFrom('a', 'b', '?', '😀'), { minLength: 30, maxLength: 80 }),
        fc.array(fc.constantFrom('a', 'b', '😀'), { maxLength: 260 }),
        (s1, s2, vc) => {
          const value = vc.join('');
          const source = `*${s1.join('')}*${s2.join('')}*`;
          const compiled = compilePattern(source);
          return compiled.ok && compiled.pattern.matches(value) === referenceMatch(source, value);
        },
      ),
      { numRuns: 1000 },
    );
    // And positive cases, where a long segment really occurs past a word boundary.
    const seg = `${'a'.repeat(40)}?${'b'.repeat(30)}`;
    const p = pattern(`x*${seg}*y`);
    assert.ok(p.matches(`x${'ab'.repeat(50)}${'a'.repeat(40)}😀${'b'.repeat(30)}zzy`));
    assert.ok(!p.matches(`x${'ab'.repeat(50)}${'a'.repeat(40)}${'b'.repeat(30)}zzy`));
  });

  it('agrees with the reference when the value is built to match (positive cases are not rare)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', '*', '?', '\\*', '.', '😀'), { maxLength: 10 }), fc.array(fc.array(valueChar, { maxLength: 4 }), { minLength: 10, maxLength: 10 }), (parts, fills) => {
        const source = parts.join('');
        // Instantiate the pattern: * → a random run, ? → one random character.
        const value = parts
          .map((p, i) => (p === '*' ? fills[i]!.join('') : p === '?' ? (fills[i]![0] ?? 'a') : p === '\\*' ? '*' : p))
          .join('');
        const compiled = compilePattern(source);
        return compiled.ok && compiled.pattern.matches(value) && referenceMatch(source, value) === true;
      }),
      { numRuns: 3000 },
    );
  });

  it('escaping a literal string makes a pattern that matches exactly that string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme-composite', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: fc.constantFrom('*', '?', '\\', 'a', '.'), maxLength: 40 })), fc.string({ maxLength: 40 }), (s, other) => {
        const compiled = compilePattern(escapePattern(s));
        if (!compiled.ok) return Array.from(escapePattern(s)).length > 256;
        return compiled.pattern.matches(s) && compiled.pattern.matches(other) === (other === s);
      }),
      { numRuns: 3000 },
    );
    for (const s of ['*', '?', '\\', 'a*b?c\\d', 'repo:acme/*', '']) {
      const p = pattern(escapePattern(s));
      assert.ok(p.matches(s));
      assert.ok(!p.matches(`${s}x`));
    }
  });
});

describe('policy validation', () => {
  it('accepts a well-formed list and normalises it', () => {
    const ps = policies([
      allowOrg({ sub: 'repo:acme/app:ref:refs/heads/main' }, { authorizedPermissions: ['admin'] }),
      { decision: 'allow', tokenType: 'team', teamName: 'ops', authorizedPermissions: [], rules: { sub: ['repo:acme/a:*', 'repo:acme/b:*'] } },
      { decision: 'allow', tokenType: 'personal', userLogin: 'alice', teamName: '', rules: { sub: 'x' } },
      denyOrg({}),
    ]);
    assert.equal(ps.length, 4);
    assert.equal(ps[0]!.admin, true);
    assert.deepEqual(ps[2]!.definition, { decision: 'allow', tokenType: 'personal', userLogin: 'alice', authorizedPermissions: [], rules: { sub: 'x' } });
    assert.deepEqual(ps[1]!.definition.rules, { sub: ['repo:acme/a:*', 'repo:acme/b:*'] });
    assert.deepEqual(ps.map((p) => p.index), [0, 1, 2, 3]);
  });

  it('reports every problem with its index and field', () => {
    const bad = (list: unknown, expected: [number | null, string][]) => {
      const r = validatePolicies(list);
      assert.equal(r.ok, false, JSON.stringify(list));
      if (!r.ok) assert.deepEqual(r.problems.map((p) => [p.index, p.field]), expected, JSON.stringify(r.problems));
    };
    bad([], [[null, 'policies']]);
    bad('x', [[null, 'policies']]);
    bad(Array(101).fill(allowOrg({ sub: 'x' })), [[null, 'policies']]);
    bad([null], [[0, '']]);
    bad([{ ...allowOrg({ sub: 'x' }), decision: 'maybe' }], [[0, 'decision']]);
    bad([{ ...allowOrg({ sub: 'x' }), tokenType: 'robot' }], [[0, 'tokenType']]);
    bad([{ decision: 'allow', tokenType: 'team', rules: { sub: 'x' } }], [[0, 'teamName']]);
    bad([allowOrg({ sub: 'x' }, { teamName: 'ops' })], [[0, 'teamName']]);
    bad([{ decision: 'allow', tokenType: 'personal', rules: { sub: 'x' } }], [[0, 'userLogin']]);
    bad([{ decision: 'allow', tokenType: 'team', teamName: 'ops', userLogin: 'alice', rules: { sub: 'x' } }], [[0, 'userLogin']]);
    bad([{ decision: 'allow', tokenType: 'team', teamName: 'ops', authorizedPermissions: ['admin'], rules: { sub: 'x' } }], [[0, 'authorizedPermissions']]);
    bad([allowOrg({ sub: 'x' }, { authorizedPermissions: ['write'] })], [[0, 'authorizedPermissions']]);
    bad([allowOrg({ sub: 'x' }, { authorizedPermissions: ['admin', 'admin'] })], [[0, 'authorizedPermissions']]);
    bad([{ ...denyOrg({ sub: 'x' }), authorizedPermissions: ['admin'] }], [[0, 'authorizedPermissions']]);
    bad([allowOrg({ sub: 'x' }, { rule: { sub: 'y' } })], [[0, 'rule']]);
    bad([allowOrg({})], [[0, 'rules']]);
    bad([allowOrg({ sub: [] })], [[0, 'rules["sub"]']]);
    bad([allowOrg({ sub: 3 } as never)], [[0, 'rules["sub"]']]);
    bad([allowOrg({ sub: ['ok', 4] } as never)], [[0, 'rules["sub"][1]']]);
    bad([allowOrg({ sub: Array(33).fill('x') })], [[0, 'rules["sub"]']]);
    bad([allowOrg(Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`c${i}`, 'x'])))], [[0, 'rules']]);
    bad([allowOrg({ 'a..b': 'x', '"k8s.io': 'y' })], [[0, 'rules["a..b"]'], [0, 'rules["\\"k8s.io"]']]);
    bad([allowOrg({ 'a.b': 'x', '"a".b': 'y' })], [[0, 'rules["\\"a\\".b"]']]);
    bad([allowOrg({ sub: 'x\\' })], [[0, 'rules["sub"]']]);
    bad([allowOrg({ sub: 'x' }), { decision: 'allow', tokenType: 'team', rules: {} }], [[1, 'teamName'], [1, 'rules']]);
  });
});

describe('policy warnings', () => {
  const codes = (list: unknown[]) => policyWarnings(policies(list)).map((w) => [w.policyIndex, w.code]);

  it('P01: allow policies that do not constrain sub', () => {
    assert.deepEqual(codes([allowOrg({ aud: 'urn:pulumi:org:acme', repository: 'acme/app' })]), [[0, 'sub_unconstrained']]);
    assert.deepEqual(codes([allowOrg({ sub: '*', repository: 'acme/app' })]), [[0, 'sub_unconstrained']]);
    assert.deepEqual(codes([allowOrg({ sub: ['repo:acme/app:ref:refs/heads/main', '?*'], repository: 'acme/app' })]), [[0, 'sub_unconstrained']]);
    assert.deepEqual(codes([denyOrg({ aud: 'x' })]), [], 'deny policies are not warned about');
    assert.deepEqual(codes([allowOrg({ sub: 'repo:acme/app:ref:refs/heads/main' })]), []);
  });

  it('every repository of an owner', () => {
    for (const sub of ['repo:acme/*', 'repo:acme/*:*', 'repo:acme/*:ref:refs/heads/main', 'repo:acme/*:environment:prod-eu', 'repo:acme*', 'repo:acme/?*']) {
      assert.ok(codes([allowOrg({ sub })]).some(([, c]) => c === 'every_repository'), sub);
    }
    assert.deepEqual(codes([allowOrg({ sub: 'repo:acme/app:ref:refs/heads/main', repository: 'acme/*' })]), [], 'sub pins the repository');
    assert.ok(codes([allowOrg({ sub: 'repo:acme/*:ref:refs/heads/main', repository: 'acme/*' })]).some(([, c]) => c === 'every_repository'));
    assert.deepEqual(codes([allowOrg({ sub: 'repo:acme/*:ref:refs/heads/main', repository: 'acme/app' })]), [], 'repository pins it');
    assert.deepEqual(codes([allowOrg({ sub: 'repo:acme/*:ref:refs/heads/main', repository_id: '42' })]), []);
    assert.deepEqual(codes([allowOrg({ sub: 'repo:acme/*:ref:refs/heads/main', repository_id: '*' })]).map(([, c]) => c), ['every_repository']);
    assert.deepEqual(codes([allowOrg({ sub: 'repo:acme/app:ref:refs/heads/main', repository_owner: 'acme' })]), []);
    assert.deepEqual(codes([allowOrg({ sub: '*', repository_owner: 'acme' })]).map(([, c]) => c), ['sub_unconstrained', 'every_repository']);
    assert.deepEqual(codes([allowOrg({ repository_owner: 'acme' })]).map(([, c]) => c), ['sub_unconstrained', 'every_repository']);
  });

  it('P02: a wildcard in the repository name is flagged as admitting look-alike repositories', () => {
    assert.deepEqual(codes([allowOrg({ sub: 'repo:acme/app*' })]).map(([, c]) => c), ['repository_wildcard', 'pull_request_subject']);
    assert.deepEqual(codes([allowOrg({ sub: 'repo:acme/app-*:ref:refs/heads/main' })]).map(([, c]) => c), ['repository_wildcard']);
    assert.deepEqual(codes([allowOrg({ sub: 'repo:acme/app:ref:refs/heads/main', repository: 'acme/app?' })]).map(([, c]) => c), [], 'sub names the repository exactly');
    assert.deepEqual(codes([allowOrg({ sub: 'repo:acme/app?:ref:refs/heads/main', repository: 'acme/app?' })]).map(([, c]) => c), ['repository_wildcard']);
    assert.deepEqual(codes([allowOrg({ sub: 'repo:acme/app*:ref:refs/heads/main', repository_id: '42' })]).map(([, c]) => c), [], 'the id pins it');
  });

  it('admin without a pinned ref or environment', () => {
    const admin = (rules: Record<string, string>) => codes([allowOrg(rules, { authorizedPermissions: ['admin'] })]).map(([, c]) => c);
    assert.deepEqual(admin({ sub: 'repo:acme/app:ref:refs/heads/*' }), ['admin_unpinned']);
    assert.deepEqual(admin({ sub: 'repo:acme/app:ref:refs/heads/main' }), []);
    assert.deepEqual(admin({ sub: 'repo:acme/app:environment:production' }), []);
    assert.deepEqual(admin({ sub: 'repo:acme/app:environment:prod*' }), ['admin_unpinned']);
    assert.deepEqual(admin({ sub: 'repo:acme/app:*', ref: 'refs/heads/main' }), ['pull_request_subject']);
    assert.deepEqual(admin({ sub: 'repo:acme/app:*', environment: 'production' }), ['pull_request_subject']);
    assert.deepEqual(admin({ sub: 'repo:acme/app:*', ref: 'refs/heads/*' }), ['admin_unpinned', 'pull_request_subject']);
  });

  it('P08: allow policies whose sub can match pull_request subjects', () => {
    for (const sub of ['repo:acme/app:*', 'repo:acme/app:?*', 'repo:acme/app:pull_request', 'repo:acme/app*', 'repo:acme/*']) {
      assert.ok(codes([allowOrg({ sub, repository: 'acme/app' })]).some(([, c]) => c === 'pull_request_subject'), sub);
    }
    for (const sub of ['repo:acme/app:ref:refs/heads/main', 'repo:acme/app:ref:*', 'repo:acme/app:environment:*']) {
      assert.ok(!codes([allowOrg({ sub })]).some(([, c]) => c === 'pull_request_subject'), sub);
    }
  });
});

describe('policy evaluation', () => {
  it('allows on a matching allow policy and denies when none matches, with a trace that hides patterns', () => {
    const ps = policies([allowOrg({ sub: 'repo:acme/app:ref:refs/heads/main', repository_id: '42' }), allowOrg({ sub: 'repo:acme/other:*' })]);
    const ok = evaluatePolicies(ps, ghClaims(), ORG);
    assert.equal(ok.decision, 'allow');
    const no = evaluatePolicies(ps, ghClaims({ sub: 'repo:acme/app:pull_request' }), ORG);
    assert.equal(no.decision, 'deny');
    assert.equal(no.code, 'no_allow_policy_matched');
    assert.equal(no.reason, "no allow policy matched the token's claims");
    assert.deepEqual(no.trace, [
      { policyIndex: 0, decision: 'allow', matched: false, failedRule: { claimPath: 'sub', failure: 'no_pattern_matched' } },
      { policyIndex: 1, decision: 'allow', matched: false, failedRule: { claimPath: 'sub', failure: 'no_pattern_matched' } },
    ]);
    assert.deepEqual(no.claims, [
      { claimPath: 'sub', present: true, value: 'repo:acme/app:pull_request' },
      { claimPath: 'repository_id', present: true, value: '42' },
    ]);
    const text = JSON.stringify({ reason: no.reason, trace: no.trace });
    assert.ok(!text.includes('refs/heads/main') && !text.includes('acme/other'), 'no pattern in the caller-facing parts');
  });

  it('P09: policies pinning repository_id deny a re-created repository with the same name', () => {
    const ps = policies([allowOrg({ sub: 'repo:acme/app:ref:refs/heads/main', repository_id: '42' })]);
    const r = evaluatePolicies(ps, ghClaims({ repository_id: '43' }), ORG);
    assert.equal(r.decision, 'deny');
    assert.deepEqual(r.trace[0]!.failedRule, { claimPath: 'repository_id', failure: 'no_pattern_matched' });
  });

  it('a policy applies only to its own token type and team or user', () => {
    const ps = policies([
      { decision: 'allow', tokenType: 'team', teamName: 'ops', rules: { sub: 'repo:acme/app:*' } },
      { decision: 'allow', tokenType: 'personal', userLogin: 'alice', rules: { sub: 'repo:acme/app:*' } },
    ]);
    assert.equal(evaluatePolicies(ps, ghClaims(), { tokenType: 'team', teamName: 'ops' }).decision, 'allow');
    const otherTeam = evaluatePolicies(ps, ghClaims(), { tokenType: 'team', teamName: 'dev' });
    assert.equal(otherTeam.code, 'no_applicable_policy');
    assert.deepEqual(otherTeam.trace, []);
    assert.equal(evaluatePolicies(ps, ghClaims(), { tokenType: 'team', teamName: 'Ops' }).decision, 'deny');
    assert.equal(evaluatePolicies(ps, ghClaims(), { tokenType: 'personal', userLogin: 'alice' }).decision, 'allow');
    assert.equal(evaluatePolicies(ps, ghClaims(), { tokenType: 'personal', userLogin: 'bob' }).decision, 'deny');
    assert.equal(evaluatePolicies(ps, ghClaims(), ORG).code, 'no_applicable_policy');
  });

  it('the admin scope needs a matching allow policy with authorizedPermissions ["admin"]', () => {
    const plain = policies([allowOrg({ sub: 'repo:acme/app:*' })]);
    const r = evaluatePolicies(plain, ghClaims(), ORG_ADMIN);
    assert.equal(r.decision, 'deny');
    assert.equal(r.code, 'admin_not_authorized');
    assert.equal(r.reason, 'the admin scope needs an allow policy with authorizedPermissions ["admin"]');
    assert.equal(evaluatePolicies(plain, ghClaims(), ORG).decision, 'allow');
    const both = policies([allowOrg({ sub: 'repo:acme/app:*' }), allowOrg({ sub: 'repo:acme/app:ref:refs/heads/main' }, { authorizedPermissions: ['admin'] })]);
    assert.equal(evaluatePolicies(both, ghClaims(), ORG_ADMIN).decision, 'allow');
    assert.equal(evaluatePolicies(both, ghClaims({ sub: 'repo:acme/app:ref:refs/heads/dev' }), ORG_ADMIN).code, 'admin_not_authorized');
  });

  it('P10: claims that are not strings match no pattern; no coercion; arrays match on one string element', () => {
    const ps = policies([allowOrg({ sub: '*', repository_id: ['42', '*'] })]);
    for (const [value, failure] of [
      [42, 'not_a_string'],
      [null, 'not_a_string'],
      [true, 'not_a_string'],
      [{ toString: '42' }, 'not_a_string'],
      [[42], 'not_a_string'],
      [[], 'not_a_string'],
      [undefined, 'absent'],
    ] as const) {
      const claims = ghClaims({ repository_id: value });
      if (value === undefined) delete claims.repository_id;
      const r = evaluatePolicies(ps, claims, ORG);
      assert.equal(r.decision, 'deny', JSON.stringify(value));
      assert.deepEqual(r.trace[0]!.failedRule, { claimPath: 'repository_id', failure }, JSON.stringify(value));
    }
    const joined = policies([allowOrg({ sub: '*', aud: 'a,b' })]);
    assert.equal(evaluatePolicies(joined, ghClaims({ aud: ['a', 'b'] }), ORG).decision, 'deny', 'no ["a","b"] → "a,b"');
    const aud = policies([allowOrg({ sub: '*', aud: 'urn:pulumi:org:acme' })]);
    assert.equal(evaluatePolicies(aud, ghClaims({ aud: ['other', 'urn:pulumi:org:acme'] }), ORG).decision, 'allow');
    assert.equal(evaluatePolicies(aud, ghClaims({ aud: [7, 'urn:pulumi:org:acme'] }), ORG).decision, 'allow');
    assert.equal(evaluatePolicies(aud, ghClaims({ aud: ['other', 'x'] }), ORG).trace[0]!.failedRule?.failure, 'no_pattern_matched');
    const numeric = policies([allowOrg({ sub: '*', n: '4?' })]);
    assert.equal(evaluatePolicies(numeric, ghClaims({ n: 42 }), ORG).decision, 'deny');
  });

  it('quoted claim paths reach keys containing dots', () => {
    const ps = policies([allowOrg({ sub: 'system:serviceaccount:ci:deployer', '"kubernetes.io".namespace': 'ci', '"kubernetes.io".pod.name': 'runner-*' })]);
    const claims = { sub: 'system:serviceaccount:ci:deployer', 'kubernetes.io': { namespace: 'ci', pod: { name: 'runner-7' } } };
    assert.equal(evaluatePolicies(ps, claims, ORG).decision, 'allow');
    const flat = { sub: 'system:serviceaccount:ci:deployer', 'kubernetes.io.namespace': 'ci', 'kubernetes.io': { pod: { name: 'runner-7' } } };
    assert.deepEqual(evaluatePolicies(ps, flat, ORG).trace[0]!.failedRule, { claimPath: '"kubernetes.io".namespace', failure: 'absent' });
  });

  it('P11: any matching deny wins over any matching allow', () => {
    const ps = policies([
      allowOrg({ sub: 'repo:acme/*' }, { authorizedPermissions: ['admin'] }),
      denyOrg({ sub: 'repo:acme/app:pull_request' }),
      allowOrg({ sub: 'repo:acme/app:*' }),
    ]);
    assert.equal(evaluatePolicies(ps, ghClaims(), ORG_ADMIN).decision, 'allow');
    const r = evaluatePolicies(ps, ghClaims({ sub: 'repo:acme/app:pull_request' }), ORG);
    assert.equal(r.decision, 'deny');
    assert.equal(r.code, 'deny_policy_matched');
    assert.equal(r.reason, "a deny policy matched the token's claims");
    assert.deepEqual(r.trace.map((t) => t.matched), [true, true, true]);
    const killSwitch = policies([allowOrg({ sub: '*' }), denyOrg({})]);
    assert.equal(evaluatePolicies(killSwitch, ghClaims(), ORG).code, 'deny_policy_matched');
  });

  it('P11: the decision does not depend on the order of the policies (property)', () => {
    const sub = fc.constantFrom('repo:acme/app:ref:refs/heads/main', 'repo:acme/app:pull_request', 'repo:acme/lib:ref:refs/heads/dev', 'repo:other/app:environment:prod');
    const pat = fc.constantFrom('repo:acme/*', 'repo:acme/app:*', '*:pull_request', 'repo:*:ref:refs/heads/main', '*', 'repo:other/*', 'nothing');
    const policy = fc.record({
      decision: fc.constantFrom('allow', 'deny'),
      admin: fc.boolean(),
      rules: fc.array(pat, { minLength: 1, maxLength: 3 }),
      team: fc.constantFrom(undefined, 'ops'),
    });
    fc.assert(
      fc.property(fc.array(policy, { minLength: 1, maxLength: 8 }), sub, fc.boolean(), fc.constantFrom(undefined, 'ops'), (defs, s, wantsAdmin, team) => {
        const list = defs.map((d) => ({
          decision: d.decision,
          tokenType: d.team === undefined ? 'organization' : 'team',
          ...(d.team !== undefined ? { teamName: d.team } : {}),
          authorizedPermissions: d.admin && d.decision === 'allow' && d.team === undefined ? ['admin'] : [],
          rules: { sub: d.rules },
        }));
        const request: PolicyRequest = team === undefined ? { tokenType: 'organization', wantsAdmin } : { tokenType: 'team', teamName: team };
        const compiled = policies(list);
        const base = evaluatePolicies(compiled, ghClaims({ sub: s }), request);
        const shuffles = [[...compiled].reverse(), [...compiled.slice(1), compiled[0]!], [...compiled].sort((a, b) => a.rules.length - b.rules.length)];
        for (const order of shuffles) {
          const r = evaluatePolicies(order, ghClaims({ sub: s }), request);
          if (r.decision !== base.decision || r.code !== base.code) return false;
        }
        return true;
      }),
      { numRuns: 1000 },
    );
  });

  it('P11: shuffling with fast-check keeps the decision', () => {
    const ps = policies([
      allowOrg({ sub: 'repo:acme/*' }),
      denyOrg({ sub: '*:pull_request' }),
      allowOrg({ sub: 'repo:acme/app:*' }, { authorizedPermissions: ['admin'] }),
      denyOrg({ repository_owner: 'evil' }),
    ]);
    fc.assert(
      fc.property(fc.shuffledSubarray(ps, { minLength: ps.length, maxLength: ps.length }), fc.constantFrom('repo:acme/app:pull_request', 'repo:acme/app:ref:refs/heads/main'), fc.boolean(), (order, s, wantsAdmin) => {
        const expected = evaluatePolicies(ps, ghClaims({ sub: s }), { tokenType: 'organization', wantsAdmin });
        const got = evaluatePolicies(order, ghClaims({ sub: s }), { tokenType: 'organization', wantsAdmin });
        return got.decision === expected.decision && got.code === expected.code;
      }),
    );
  });
});
