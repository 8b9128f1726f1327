import { Alert, Anchor, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent, type ReactNode } from 'react';
import { ApiError } from '../api';
import { FormError } from '../components/FormError';
import { NewPasswordInputs, useNewPassword } from '../components/NewPasswordInputs';
import { useSubmit } from '../components/useSubmit';
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
  const { busy, error, run } = useSubmit((err) =>
    err instanceof ApiError && err.status === 401 ? `Wrong login or password${err.requestId ? ` (request id ${err.requestId})` : ''}` : describeError(err),
  );

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(() => signIn(login, password));
  };

  return (
    <Frame title="Sign in">
      {notice && <Alert color="blue">{notice}</Alert>}
      <form onSubmit={submit}>
        <Stack>
          <TextInput label="Login" name="username" autoComplete="username" required value={login} onChange={(e) => setLogin(e.currentTarget.value)} autoFocus />
          <PasswordInput label="Password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
          <FormError error={error} />
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
  const password = useNewPassword();
  const { busy, error, run } = useSubmit();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!password.check()) return;
    void run(() => setup({ login, email, password: password.password, ...(name ? { name } : {}) }));
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
          <NewPasswordInputs state={password} label="Password" confirmLabel="Confirm password" />
          <FormError error={error} />
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
