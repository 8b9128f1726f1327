import { Button, Stack, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError, type Organization } from '../api';
import { FormError } from '../components/FormError';
import { useSubmit } from '../components/useSubmit';
import { describeError, notifyOk } from '../errors';
import { useSession } from '../session';

export function NewOrgPage() {
  const [name, setName] = useState('');
  const [fieldError, setFieldError] = useState<string>();
  // A bad or taken name shows under the field; any other failure under the form.
  const { busy, error, run } = useSubmit((err) => {
    if (err instanceof ApiError && (err.status === 400 || err.status === 409)) {
      setFieldError(describeError(err));
      return undefined;
    }
    return describeError(err);
  });
  const { refreshUser } = useSession();
  const navigate = useNavigate();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFieldError(undefined);
    void run(async () => {
      const org = await api<Organization>('POST', '/api/orgs', { name });
      await refreshUser();
      notifyOk(`Organization ${org.githubLogin ?? name} created`);
      navigate(`/orgs/${encodeURIComponent(org.githubLogin ?? name)}`);
    });
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
          <FormError error={error} />
          <Button type="submit" loading={busy} w="fit-content">
            Create organization
          </Button>
        </Stack>
      </form>
    </Stack>
  );
}
