import { Button, Group, Select, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import type { RoleOption } from './members';
import { useSubmit } from './useSubmit';

export interface AddMemberFormProps {
  loginLabel: string;
  loginDescription: string;
  roleLabel: string;
  roles: RoleOption[];
  /** Width of the role select. */
  roleWidth: number;
  submitLabel: string;
  /** Adds (or re-roles) the member; a failure shows under the login field. */
  onAdd(login: string, role: string): Promise<void>;
  /** After a member was added and the login cleared: reload the list. */
  onAdded(): Promise<void>;
}

/** One line: a login, a role and the button that adds that user with that role. The login clears once added. */
export function AddMemberForm({ loginLabel, loginDescription, roleLabel, roles, roleWidth, submitLabel, onAdd, onAdded }: AddMemberFormProps) {
  const [login, setLogin] = useState('');
  const [role, setRole] = useState('member');
  const { busy, error, run } = useSubmit();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await onAdd(login, role);
      setLogin('');
      await onAdded();
    });
  };

  return (
    <form onSubmit={submit}>
      <Group align="flex-end" wrap="wrap">
        <TextInput label={loginLabel} description={loginDescription} required value={login} onChange={(e) => setLogin(e.currentTarget.value)} error={error} />
        <Select label={roleLabel} data={roles} value={role} onChange={(v) => setRole(v ?? 'member')} allowDeselect={false} w={roleWidth} />
        <Button type="submit" loading={busy}>
          {submitLabel}
        </Button>
      </Group>
    </form>
  );
}
