import { Alert, Button, Group, Select, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { api, paths, type PolicyTestResult } from '../api';
import { FormError } from '../components/FormError';
import { useSubmit } from '../components/useSubmit';
import { DecisionBadge, DecisionDetails, Lines } from './Decision';
import { TOKEN_TYPE_OPTIONS, type PolicyDraft, type TokenType } from './draft';

const SCOPE_PREFIX: Record<TokenType, string> = { organization: '', team: 'team:', personal: 'user:' };

/** A dry run of the draft: a pasted ID token (or claims) against the policies, with the full trace. */
export function PolicyTester({ org, issuerId, draft }: { org: string; issuerId: string; draft: PolicyDraft }) {
  const [input, setInput] = useState('');
  const [tokenType, setTokenType] = useState<TokenType>('organization');
  const [scope, setScope] = useState('');
  const [inputError, setInputError] = useState<string>();
  const [result, setResult] = useState<PolicyTestResult>();
  const { busy, error, run } = useSubmit();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setInputError(undefined);
    const text = input.trim();
    let subject: { subjectToken: string } | { claims: unknown };
    if (text.startsWith('{')) {
      try {
        subject = { claims: JSON.parse(text) };
      } catch {
        return setInputError('The claims are not valid JSON');
      }
    } else if (text) {
      subject = { subjectToken: text };
    } else {
      return setInputError('Paste an ID token or a JSON object of claims');
    }
    const draftValue = draft.value();
    if (!draftValue.ok) return setInputError(`The draft cannot be tested: ${draftValue.error}`);
    setResult(undefined);
    void run(async () => {
      setResult(await api<PolicyTestResult>('POST', paths.policyTest(org, issuerId), { policies: draftValue.policies, ...subject, requestedTokenType: tokenType, scope: scope.trim() }));
    });
  };

  return (
    <Stack>
      <Title order={3}>Test the draft</Title>
      <Text size="sm" c="dimmed">
        Checks a token against the policies as they stand in the editor, saved or not. Nothing is recorded and no token is made; a pasted token's expiry and jti are only reported.
      </Text>
      <form onSubmit={submit} noValidate>
        <Stack>
          <Textarea
            label="ID token or claims"
            description="A JWT signed by this issuer, or a JSON object of claims taken as verified"
            autosize
            minRows={3}
            maxRows={10}
            value={input}
            onChange={(e) => setInput(e.currentTarget.value)}
            error={inputError}
            styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', wordBreak: 'break-all' } }}
          />
          <Group align="flex-end" wrap="wrap">
            <Select
              label="Requested token type"
              description="What the workload asks for"
              data={TOKEN_TYPE_OPTIONS}
              value={tokenType}
              onChange={(v) => {
                if (!v) return;
                setTokenType(v as TokenType);
                setScope(SCOPE_PREFIX[v as TokenType]);
              }}
              allowDeselect={false}
              w={220}
            />
            <TextInput label="Scope" description="organization: empty or admin; team: team:<name>; personal: user:<login>" value={scope} onChange={(e) => setScope(e.currentTarget.value)} miw={260} />
            <Button type="submit" loading={busy}>
              Test
            </Button>
          </Group>
          <FormError error={error} />
        </Stack>
      </form>
      {result && <TestResult result={result} />}
    </Stack>
  );
}

function TestResult({ result }: { result: PolicyTestResult }) {
  const allowed = result.decision === 'allow';
  return (
    <Stack gap="sm" aria-label="Test result" role="region">
      <Alert color={allowed ? 'green' : 'red'} title={<Group gap="xs">Result <DecisionBadge decision={result.decision} /></Group>}>
        <Text size="sm">{result.description}</Text>
        {result.check && (
          <Text size="xs" mt={4}>
            Failed check: {result.check}
            {result.reason ? ` (${result.reason})` : ''}
          </Text>
        )}
      </Alert>
      <DecisionDetails trace={result.trace} claims={result.claims} />
      {result.notes.length > 0 && (
        <>
          <Title order={4}>Notes</Title>
          <Lines items={result.notes} />
        </>
      )}
      {result.warnings.length > 0 && (
        <>
          <Title order={4}>Warnings</Title>
          <Lines items={result.warnings.map((w) => `Policy ${w.policyIndex + 1}: ${w.message}`)} />
        </>
      )}
    </Stack>
  );
}
