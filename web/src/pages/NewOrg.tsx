import { Alert, Button, Stack, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError, type Organization } from '../api';
import { describeError, notifyOk } from '../errors';
import { useSession } from '../session';

export function NewOrgPage() {
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [fieldError, setFieldError] = useState<string>();
  const { refreshUser } = useSession();
  const navigate = useNavigate();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setFieldError(undefined);
    try {
      const org = await api<Organization>('POST', '/api/orgs', { name });
      await refreshUser();
      notifyOk(`Organization ${org.githubLogin ?? name} created`);
      navigate(`/orgs/${encodeURIComponent(org.githubLogin ?? name)}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 400 || err instanceof ApiError && err.status === 409) setFieldError(describeError(err));
      else setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Stack maw={480}>
      <Title order={2}>Create organization</Title>
      <form onSubmit={submit}>
        <Stack>
          <TextInput
            label="Organization name"
            description="1–40 letters, digits, '.', '-' or '_'. You become its first admin."
            required
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={fieldError}
          />
          {error && <Alert color="red">{error}</Alert>}
          <Button type="submit" loading={busy} w="fit-content">
            Create organization
          </Button>
        </Stack>
      </form>
    </Stack>
  );
}
