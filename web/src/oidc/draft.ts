import { useState } from 'react';
import type { AuthPolicyDefinition } from '../api';

// A policy list being edited, in two views of one draft: form rows and JSON text. The form cannot
// hold everything JSON can (an unknown field, a number where a pattern goes), so in the JSON view
// the text is the draft and the rows follow it whenever it reads as a list the form can show;
// what is saved or tested is always what the current view shows.

export type Decision = AuthPolicyDefinition['decision'];
export type TokenType = AuthPolicyDefinition['tokenType'];

export interface RuleRow {
  key: number;
  claimPath: string;
  /** Any one of them must match the whole claim value. */
  patterns: string[];
}

export interface PolicyRow {
  key: number;
  decision: Decision;
  tokenType: TokenType;
  /** The team name (team policies) or user login (personal policies). */
  name: string;
  /** authorizedPermissions ["admin"]; only organization allow policies carry it. */
  admin: boolean;
  rules: RuleRow[];
}

/** The token types as the form's selects offer them. */
export const TOKEN_TYPE_OPTIONS: { value: TokenType; label: string }[] = [
  { value: 'organization', label: 'Organization token' },
  { value: 'team', label: 'Team token' },
  { value: 'personal', label: 'Personal token' },
];

let lastKey = 0;
const nextKey = () => ++lastKey;

export const newRule = (claimPath = '', pattern = ''): RuleRow => ({ key: nextKey(), claimPath, patterns: [pattern] });
export const newPolicy = (): PolicyRow => ({ key: nextKey(), decision: 'allow', tokenType: 'organization', name: '', admin: false, rules: [newRule('sub')] });

export const canBeAdmin = (p: Pick<PolicyRow, 'decision' | 'tokenType'>) => p.decision === 'allow' && p.tokenType === 'organization';

export function toDefinitions(rows: PolicyRow[]): AuthPolicyDefinition[] {
  return rows.map((p) => ({
    decision: p.decision,
    tokenType: p.tokenType,
    ...(p.tokenType === 'team' ? { teamName: p.name } : {}),
    ...(p.tokenType === 'personal' ? { userLogin: p.name } : {}),
    authorizedPermissions: p.admin && canBeAdmin(p) ? ['admin'] : [],
    rules: Object.fromEntries(p.rules.map((r) => [r.claimPath, r.patterns.length === 1 ? r.patterns[0]! : r.patterns])),
  }));
}

const FIELDS = new Set(['decision', 'tokenType', 'teamName', 'userLogin', 'authorizedPermissions', 'rules']);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optionalString = (v: unknown) => v === undefined || v === null || typeof v === 'string';

/** The rows for a parsed list, or why the form cannot show it. */
export function fromDefinitions(value: unknown): PolicyRow[] | string {
  if (!Array.isArray(value)) return 'the policies must be a JSON array';
  const rows: PolicyRow[] = [];
  for (const [i, p] of value.entries()) {
    const where = `policy ${i + 1}`;
    if (!isObject(p)) return `${where} is not an object`;
    const unknown = Object.keys(p).find((k) => !FIELDS.has(k));
    if (unknown !== undefined) return `${where} has a field the form does not know: "${unknown}"`;
    if (p.decision !== 'allow' && p.decision !== 'deny') return `${where}: decision must be "allow" or "deny"`;
    if (p.tokenType !== 'organization' && p.tokenType !== 'team' && p.tokenType !== 'personal') return `${where}: tokenType must be "organization", "team" or "personal"`;
    if (!optionalString(p.teamName) || !optionalString(p.userLogin)) return `${where}: teamName and userLogin must be strings`;
    const perms = p.authorizedPermissions ?? [];
    if (!Array.isArray(perms) || !(perms.length === 0 || (perms.length === 1 && perms[0] === 'admin'))) return `${where}: authorizedPermissions must be [] or ["admin"]`;
    if (!isObject(p.rules)) return `${where}: rules must be an object of claim path → pattern(s)`;
    const rules: RuleRow[] = [];
    for (const [claimPath, v] of Object.entries(p.rules)) {
      const patterns = typeof v === 'string' ? [v] : v;
      if (!Array.isArray(patterns) || patterns.length === 0 || !patterns.every((x) => typeof x === 'string')) return `${where}: the rule "${claimPath}" must be a pattern or a non-empty array of patterns`;
      rules.push({ key: nextKey(), claimPath, patterns });
    }
    const name = (p.tokenType === 'team' ? p.teamName : p.tokenType === 'personal' ? p.userLogin : undefined) ?? '';
    // A name on the wrong kind of policy would vanish from the form; let the server say so instead.
    if ((p.tokenType !== 'team' && p.teamName) || (p.tokenType !== 'personal' && p.userLogin)) return `${where}: teamName is for team policies, userLogin for personal ones`;
    if (perms.length > 0 && !canBeAdmin({ decision: p.decision, tokenType: p.tokenType })) return `${where}: "admin" is only for organization allow policies`;
    rows.push({ key: nextKey(), decision: p.decision, tokenType: p.tokenType, name: name as string, admin: perms.length > 0, rules });
  }
  return rows;
}

/** Why the form rows cannot be turned into JSON faithfully (a claim path written twice), if so. */
export function rowProblem(p: PolicyRow): string | undefined {
  const seen = new Set<string>();
  for (const r of p.rules) {
    if (seen.has(r.claimPath)) return `the claim path "${r.claimPath}" appears twice; put its patterns in one rule`;
    seen.add(r.claimPath);
  }
  return undefined;
}

const pretty = (v: unknown) => JSON.stringify(v, null, 2);

export type DraftValue = { ok: true; policies: unknown } | { ok: false; error: string };

/** The editor's state: the rows, the JSON text and which of them is shown. */
export function usePolicyDraft() {
  const [rows, setRows] = useState<PolicyRow[]>([]);
  const [view, setView] = useState<'form' | 'json'>('form');
  const [json, setJson] = useState('[]');
  const [jsonProblem, setJsonProblem] = useState<string>();
  // The saved list as the form writes it, to tell whether the draft differs.
  const [baseline, setBaseline] = useState('[]');

  const readJson = (text: string): { value?: unknown; rows?: PolicyRow[]; error?: string } => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return { error: `not valid JSON: ${(err as Error).message}` };
    }
    const r = fromDefinitions(value);
    return typeof r === 'string' ? { value, error: r } : { value, rows: r };
  };

  /** The list to save or test, as the current view has it. */
  const value = (): DraftValue => {
    if (view === 'json') {
      const r = readJson(json);
      return 'value' in r ? { ok: true, policies: r.value } : { ok: false, error: r.error! };
    }
    const problem = rows.map(rowProblem).find((p) => p !== undefined);
    return problem ? { ok: false, error: problem } : { ok: true, policies: toDefinitions(rows) };
  };

  return {
    rows,
    view,
    json,
    /** Why the JSON text cannot be shown in the form, while the JSON view is open. */
    jsonProblem,
    /** Starts over from a saved list. */
    reset(policies: AuthPolicyDefinition[]) {
      const r = fromDefinitions(policies);
      setRows(typeof r === 'string' ? [] : r);
      setBaseline(JSON.stringify(typeof r === 'string' ? policies : toDefinitions(r)));
      setJson(pretty(policies));
      setJsonProblem(undefined);
      setView('form');
    },
    setRows,
    setJson(text: string) {
      setJson(text);
      const r = readJson(text);
      setJsonProblem(r.error);
      if (r.rows) setRows(r.rows);
    },
    /** Switches views; the form opens only for JSON it can show (the reason is kept otherwise). */
    setView(next: 'form' | 'json') {
      if (next === view) return;
      if (next === 'json') {
        setJson(pretty(toDefinitions(rows)));
        setJsonProblem(undefined);
        setView('json');
        return;
      }
      const r = readJson(json);
      setJsonProblem(r.error);
      if (r.rows) {
        setRows(r.rows);
        setView('form');
      }
    },
    value,
    /** Whether the draft differs from the list it started from. */
    dirty(): boolean {
      const v = value();
      return !v.ok || JSON.stringify(v.policies) !== baseline;
    },
  };
}

export type PolicyDraft = ReturnType<typeof usePolicyDraft>;
