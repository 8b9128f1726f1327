import { Alert, Anchor, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent, type ReactNode } from 'react';
import { ApiError } from '../api';
import { describeError } from '../errors';
import { useSession } from '../session';

function Frame({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder shadow="sm" p="xl" w="100%" maw={420}>
        <Stack>
          <Text fw={700} size="lg">
            Tessera
          </Text>
          <Title order={1} size="h2">
            {title}
          </Title>
          {children}
        </Stack>
      </Paper>
    </Center>
  );
}

export function SignInPage() {
  const { signIn, notice } = useSession();
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(login, password);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? `Wrong login or password${err.requestId ? ` (request id ${err.requestId})` : ''}` : describeError(err));
      setBusy(false);
    }
  };

  return (
    <Frame title="Sign in">
      {notice && <Alert color="blue">{notice}</Alert>}
      <form onSubmit={submit}>
        <Stack>
          <TextInput label="Login" name="username" autoComplete="username" required value={login} onChange={(e) => setLogin(e.currentTarget.value)} autoFocus />
          <PasswordInput label="Password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
          {error && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <Button type="submit" loading={busy}>
            Sign in
          </Button>
        </Stack>
      </form>
    </Frame>
  );
}

export function SetupPage() {
  const { setup } = useSession();
  const [login, setLogin] = useState('');
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [mismatch, setMismatch] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (password !== confirm) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    setBusy(true);
    setError(undefined);
    try {
      await setup({ login, email, password, ...(name ? { name } : {}) });
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };

  return (
    <Frame title="Set up Tessera">
      <Text size="sm">
        No account exists yet. Create the first site administrator; this page is offered only once.
      </Text>
      <form onSubmit={submit}>
        <Stack>
          <TextInput label="Login" autoComplete="username" required value={login} onChange={(e) => setLogin(e.currentTarget.value)} autoFocus />
          <TextInput label="Email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.currentTarget.value)} />
          <TextInput label="Name" autoComplete="name" value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <PasswordInput label="Password" autoComplete="new-password" required value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
          <PasswordInput
            label="Confirm password"
            autoComplete="new-password"
            required
            value={confirm}
            onChange={(e) => setConfirm(e.currentTarget.value)}
            error={mismatch ? 'The passwords differ' : undefined}
          />
          {error && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <Button type="submit" loading={busy}>
            Create administrator
          </Button>
          <Text size="xs" c="dimmed">
            The command line can do the same: <Anchor href="/docs">see the API reference</Anchor>.
          </Text>
        </Stack>
      </form>
    </Frame>
  );
}
