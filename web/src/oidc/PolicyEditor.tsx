import { Alert, Badge, Button, Group, JsonInput, List, SegmentedControl, Stack, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { api, ApiError, paths, type AuthPolicy, type PolicyWarning, type SavedAuthPolicy } from '../api';
import { describeError, notifyOk } from '../errors';
import type { PolicyDraft } from './draft';
import { PolicyForm } from './PolicyForm';

/** One problem of a refused list: the policy's index (none for the list itself) and what is wrong. */
interface Problem {
  index?: number;
  text: string;
}

/** Splits a `policy_invalid` message ("policies[0].rules: …; policies[2].teamName: …") into problems. */
export function policyProblems(err: unknown): Problem[] | undefined {
  if (!(err instanceof ApiError) || err.reason !== 'policy_invalid') return undefined;
  return err.message.split('; ').map((part) => {
    const m = /^policies\[(\d+)\]\.?([^:]*): (.*)$/s.exec(part);
    return m ? { index: Number(m[1]), text: m[2] ? `${m[2]}: ${m[3]}` : m[3]! } : { text: part };
  });
}

const byIndex = (items: { index?: number; text: string }[]) => {
  const map = new Map<number, string[]>();
  for (const it of items) if (it.index !== undefined) map.set(it.index, [...(map.get(it.index) ?? []), it.text]);
  return map;
};

const label = (index: number | undefined) => (index === undefined ? 'The list' : `Policy ${index + 1}`);

export interface PolicyEditorProps {
  org: string;
  policy: AuthPolicy;
  draft: PolicyDraft;
  /** The server's verdict on the current draft (the dry run's validation): warnings, or why it is refused. */
  check: DraftCheck;
  onSaved(saved: SavedAuthPolicy): void;
}

export interface DraftCheck {
  warnings: PolicyWarning[];
  problems: Problem[];
}

/** The issuer's policy list: the draft as a form or as JSON, its problems and warnings, and Save. */
export function PolicyEditor({ org, policy, draft, check, onSaved }: PolicyEditorProps) {
  const [busy, setBusy] = useState(false);
  const [saveError, setSaveError] = useState<{ message: string; problems?: Problem[] }>();
  const value = draft.value();
  const dirty = draft.dirty();
  const key = JSON.stringify(value);
  // A refusal is about the list that was sent; any edit makes it stale.
  useEffect(() => setSaveError(undefined), [key]);

  const save = async () => {
    if (!value.ok) return setSaveError({ message: value.error });
    setBusy(true);
    setSaveError(undefined);
    try {
      const saved = await api<SavedAuthPolicy>('PATCH', paths.authPolicy(org, policy.id), { policies: value.policies });
      notifyOk(`Policies saved (version ${saved.version})${saved.warnings.length ? ` with ${saved.warnings.length} warning${saved.warnings.length === 1 ? '' : 's'}` : ''}`);
      onSaved(saved);
    } catch (err) {
      setSaveError({ message: describeError(err), problems: policyProblems(err) });
    } finally {
      setBusy(false);
    }
  };

  // The form shows each policy's problems and warnings in its fieldset; the JSON view lists them all.
  const listProblems = check.problems.filter((p) => p.index === undefined || draft.view === 'json');
  const listWarnings = draft.view === 'json' ? check.warnings : [];
  const problemList = (problems: Problem[]) => (
    <List size="sm">
      {problems.map((p, i) => (
        <List.Item key={i}>
          {label(p.index)}: {p.text}
        </List.Item>
      ))}
    </List>
  );
  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Group gap="xs">
          <Title order={3}>Auth policies</Title>
          <Badge variant="light" color="gray">
            version {policy.version}
          </Badge>
          {dirty && (
            <Badge variant="light" color="orange">
              unsaved changes
            </Badge>
          )}
        </Group>
        <SegmentedControl aria-label="Edit policies as" value={draft.view} onChange={(v) => draft.setView(v as 'form' | 'json')} data={['form', 'json'].map((v) => ({ value: v, label: v === 'form' ? 'Form' : 'JSON' }))} />
      </Group>
      <Text size="sm" c="dimmed">
        A policy applies to requests for its token type (and team or user). Any matching deny wins; otherwise a matching allow is needed; order does not matter.
      </Text>
      {draft.view === 'form' ? (
        <>
          {draft.rows.length === 0 && <Text c="dimmed">No policies: every exchange is denied. Add one.</Text>}
          <PolicyForm rows={draft.rows} onChange={draft.setRows} problems={byIndex(check.problems)} warnings={byIndex(check.warnings.map((w) => ({ index: w.policyIndex, text: w.message })))} />
        </>
      ) : (
        <JsonInput
          label="Policies (JSON)"
          description="An array of AuthPolicyDefinition objects; the form follows whenever it can show them"
          autosize
          minRows={8}
          maxRows={30}
          value={draft.json}
          onChange={draft.setJson}
          error={draft.jsonProblem}
        />
      )}
      <div aria-live="polite">
        {listProblems.length > 0 && !saveError && (
          <Alert color="red" title="Problems in the draft">
            {problemList(listProblems)}
          </Alert>
        )}
        {listWarnings.length > 0 && (
          <Stack gap={4} mt="sm">
            <Text fw={600} size="sm">
              Warnings
            </Text>
            <List size="sm">
              {listWarnings.map((w, i) => (
                <List.Item key={i}>
                  {label(w.policyIndex)}: {w.message}
                </List.Item>
              ))}
            </List>
          </Stack>
        )}
      </div>
      {saveError && (
        <Alert color="red" title="The policies were not saved">
          {saveError.problems ? problemList(saveError.problems) : saveError.message}
        </Alert>
      )}
      <Group>
        <Button onClick={() => void save()} loading={busy} disabled={!dirty}>
          Save policies
        </Button>
        <Button variant="default" onClick={() => draft.reset(policy.policies)} disabled={!dirty}>
          Discard changes
        </Button>
      </Group>
    </Stack>
  );
}

/**
 * The server's verdict on the draft, a moment after each change: a dry run with no claims, which
 * validates the list like a save would and returns its warnings, and writes nothing.
 */
export function useDraftCheck(org: string, issuerId: string, draft: PolicyDraft): [DraftCheck, (check: DraftCheck) => void] {
  const [check, setCheck] = useState<DraftCheck>({ warnings: [], problems: [] });
  const value = draft.value();
  const key = value.ok ? JSON.stringify(value.policies) : undefined;
  useEffect(() => {
    if (key === undefined || key === '[]') {
      setCheck({ warnings: [], problems: [] });
      return;
    }
    let current = true;
    const timer = setTimeout(async () => {
      try {
        const r = await api<{ warnings: PolicyWarning[] }>('POST', paths.policyTest(org, issuerId), { policies: JSON.parse(key), claims: {}, requestedTokenType: 'organization' });
        if (current) setCheck({ warnings: r.warnings, problems: [] });
      } catch (err) {
        if (current) setCheck({ warnings: [], problems: policyProblems(err) ?? [{ text: `could not check the draft: ${describeError(err)}` }] });
      }
    }, 400);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [org, issuerId, key]);
  return [check, setCheck];
}
