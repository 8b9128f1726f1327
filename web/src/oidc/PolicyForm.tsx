import { Alert, Badge, Button, Checkbox, CloseButton, Fieldset, Group, Select, Stack, Text, TextInput } from '@mantine/core';
import { canBeAdmin, newPolicy, newRule, rowProblem, TOKEN_TYPE_OPTIONS, type Decision, type PolicyRow, type RuleRow, type TokenType } from './draft';

const DECISIONS = [
  { value: 'allow', label: 'Allow' },
  { value: 'deny', label: 'Deny' },
];

export interface PolicyFormProps {
  rows: PolicyRow[];
  onChange(rows: PolicyRow[]): void;
  /** What the server said about each policy, by index: problems (red) and warnings (yellow). */
  problems: Map<number, string[]>;
  warnings: Map<number, string[]>;
}

/** The policy list as a form: one fieldset per policy, one per claim rule inside it. */
export function PolicyForm({ rows, onChange, problems, warnings }: PolicyFormProps) {
  const update = (i: number, patch: Partial<PolicyRow>) => onChange(rows.map((p, j) => (j === i ? { ...p, ...patch } : p)));
  return (
    <Stack>
      {rows.map((p, i) => (
        <PolicyFieldset
          key={p.key}
          index={i}
          policy={p}
          onChange={(patch) => update(i, patch)}
          onRemove={() => onChange(rows.filter((_, j) => j !== i))}
          problems={[...(rowProblem(p) ? [rowProblem(p)!] : []), ...(problems.get(i) ?? [])]}
          warnings={warnings.get(i) ?? []}
        />
      ))}
      <Button variant="default" w="fit-content" onClick={() => onChange([...rows, newPolicy()])}>
        Add policy
      </Button>
    </Stack>
  );
}

interface PolicyFieldsetProps {
  index: number;
  policy: PolicyRow;
  onChange(patch: Partial<PolicyRow>): void;
  onRemove(): void;
  problems: string[];
  warnings: string[];
}

function PolicyFieldset({ index, policy: p, onChange, onRemove, problems, warnings }: PolicyFieldsetProps) {
  const legend = `Policy ${index + 1}`;
  const setRule = (j: number, patch: Partial<RuleRow>) => onChange({ rules: p.rules.map((r, k) => (k === j ? { ...r, ...patch } : r)) });
  return (
    <Fieldset legend={legend}>
      <Stack gap="sm">
        <Group align="flex-end" wrap="wrap">
          <Select label="Decision" data={DECISIONS} value={p.decision} onChange={(v) => v && onChange({ decision: v as Decision })} allowDeselect={false} w={120} />
          <Select label="Token type" data={TOKEN_TYPE_OPTIONS} value={p.tokenType} onChange={(v) => v && onChange({ tokenType: v as TokenType, name: '' })} allowDeselect={false} w={200} />
          {p.tokenType === 'team' && <TextInput label="Team name" required value={p.name} onChange={(e) => onChange({ name: e.currentTarget.value })} />}
          {p.tokenType === 'personal' && <TextInput label="User login" required value={p.name} onChange={(e) => onChange({ name: e.currentTarget.value })} />}
          <Button variant="subtle" color="red" onClick={onRemove} aria-label={`Remove policy ${index + 1}`} ml="auto">
            Remove policy
          </Button>
        </Group>
        {canBeAdmin(p) && (
          <Checkbox label="Admin permission: may also grant organization tokens with the admin scope" checked={p.admin} onChange={(e) => onChange({ admin: e.currentTarget.checked })} />
        )}
        <Text size="sm" fw={500}>
          Claim rules (all must match; a rule matches when any one of its patterns matches the whole claim)
        </Text>
        {p.rules.map((r, j) => (
          <RuleFieldset key={r.key} index={j} rule={r} onChange={(patch) => setRule(j, patch)} onRemove={() => onChange({ rules: p.rules.filter((_, k) => k !== j) })} />
        ))}
        <Button variant="light" size="xs" w="fit-content" onClick={() => onChange({ rules: [...p.rules, newRule()] })}>
          Add rule
        </Button>
        {problems.length > 0 && (
          <Alert color="red" p="xs">
            {problems.join('; ')}
          </Alert>
        )}
        {warnings.map((w) => (
          <Text key={w} size="sm">
            <Badge color="orange" variant="light" mr={6}>
              warning
            </Badge>
            {w}
          </Text>
        ))}
      </Stack>
    </Fieldset>
  );
}

function RuleFieldset({ index, rule: r, onChange, onRemove }: { index: number; rule: RuleRow; onChange(patch: Partial<RuleRow>): void; onRemove(): void }) {
  const setPattern = (k: number, value: string) => onChange({ patterns: r.patterns.map((x, m) => (m === k ? value : x)) });
  return (
    <Fieldset legend={`Rule ${index + 1}`} variant="filled" p="sm">
      <Group align="flex-start" wrap="wrap">
        <TextInput
          label="Claim path"
          description='e.g. sub, repository, "kubernetes.io".namespace'
          required
          value={r.claimPath}
          onChange={(e) => onChange({ claimPath: e.currentTarget.value })}
          w={240}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
        />
        <Stack gap={6} style={{ flex: 1, minWidth: 240 }}>
          {r.patterns.map((pattern, k) => (
            <Group key={k} gap={4} wrap="nowrap" align="flex-end">
              <TextInput
                label={r.patterns.length > 1 ? `Pattern ${k + 1}` : 'Pattern'}
                description={k === 0 ? '* any run of characters, ? one character, \\ escapes' : undefined}
                required
                value={pattern}
                onChange={(e) => setPattern(k, e.currentTarget.value)}
                style={{ flex: 1 }}
                styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
              />
              {r.patterns.length > 1 && <CloseButton aria-label={`Remove pattern ${k + 1}`} onClick={() => onChange({ patterns: r.patterns.filter((_, m) => m !== k) })} mb={6} />}
            </Group>
          ))}
          <Group gap="xs">
            <Button variant="subtle" size="xs" onClick={() => onChange({ patterns: [...r.patterns, ''] })}>
              Add alternative pattern
            </Button>
            <Button variant="subtle" size="xs" color="red" onClick={onRemove}>
              Remove rule
            </Button>
          </Group>
        </Stack>
      </Group>
    </Fieldset>
  );
}
