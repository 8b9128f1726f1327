import { Badge, Code, List, Stack, Table, Text, Title } from '@mantine/core';
import type { ExaminedClaim, PolicyTraceEntry } from '../api';
import { DataTable } from '../components/DataTable';

// How a policy decision is shown, for a dry run and for a recorded exchange attempt alike.

const FAILURES: Record<NonNullable<PolicyTraceEntry['failedRule']>['failure'], string> = {
  absent: 'the token has no such claim',
  not_a_string: 'the claim is not a string (nor an array with a string that matches)',
  no_pattern_matched: 'no pattern matched the claim’s value',
};

export function DecisionBadge({ decision }: { decision: string }) {
  const allowed = decision === 'allow' || decision === 'allowed';
  return (
    <Badge color={allowed ? 'green' : 'red'} variant="light">
      {allowed ? 'allowed' : 'denied'}
    </Badge>
  );
}

/** Which applicable policy matched, and for each that did not, the first rule that failed and why. */
export function TraceTable({ trace, label }: { trace: PolicyTraceEntry[]; label: string }) {
  if (trace.length === 0) return <Text size="sm" c="dimmed">No policy applies to the requested token type and scope.</Text>;
  return (
    <DataTable label={label} minWidth={520} columns={['Policy', 'Decision', 'Result']}>
      {trace.map((t) => (
        <Table.Tr key={t.policyIndex}>
          <Table.Td>Policy {t.policyIndex + 1}</Table.Td>
          <Table.Td>{t.decision}</Table.Td>
          <Table.Td>
            {t.matched ? (
              <Text size="sm" fw={500}>
                matched
              </Text>
            ) : (
              <Text size="sm">
                did not match: rule <Code>{t.failedRule?.claimPath}</Code> failed, {t.failedRule && FAILURES[t.failedRule.failure]}
              </Text>
            )}
          </Table.Td>
        </Table.Tr>
      ))}
    </DataTable>
  );
}

/** The claims the applicable policies read, with the values the token carried. */
export function ClaimsTable({ claims, label }: { claims: ExaminedClaim[]; label: string }) {
  if (claims.length === 0) return <Text size="sm" c="dimmed">No claims were examined.</Text>;
  return (
    <DataTable label={label} minWidth={420} columns={['Claim', 'Value']}>
      {claims.map((c) => (
        <Table.Tr key={c.claimPath}>
          <Table.Td>
            <Code>{c.claimPath}</Code>
          </Table.Td>
          <Table.Td style={{ wordBreak: 'break-all' }}>
            {c.present ? <Code>{typeof c.value === 'string' ? c.value : JSON.stringify(c.value)}</Code> : <Text size="sm" c="dimmed">absent</Text>}
          </Table.Td>
        </Table.Tr>
      ))}
    </DataTable>
  );
}

/** The trace and the claims, under small headings. */
export function DecisionDetails({ trace, claims, headingOrder = 4 }: { trace: PolicyTraceEntry[]; claims: ExaminedClaim[]; headingOrder?: 3 | 4 | 5 }) {
  return (
    <Stack gap="xs">
      <Title order={headingOrder}>Trace</Title>
      <TraceTable trace={trace} label="Policy trace" />
      <Title order={headingOrder}>Claims examined</Title>
      <ClaimsTable claims={claims} label="Claims examined" />
    </Stack>
  );
}

/** Lines of advice or remarks, if any, as a list. */
export function Lines({ items }: { items: string[] }) {
  if (items.length === 0) return null;
  return (
    <List size="sm" spacing={4}>
      {items.map((m, i) => (
        <List.Item key={i}>{m}</List.Item>
      ))}
    </List>
  );
}
