import { Stack, Title } from '@mantine/core';
import { useState } from 'react';
import { api, paths, type MemberList } from '../api';
import { AddMemberForm } from '../components/AddMemberForm';
import { ConfirmModal } from '../components/ConfirmModal';
import { LoadedList } from '../components/LoadedList';
import { MemberTable } from '../components/MemberTable';
import type { Roles } from '../components/members';
import { useApiGet } from '../components/useApiGet';
import { notifyError, notifyOk } from '../errors';
import { useSession, useUser } from '../session';
import { useOrg } from './Org';

const ROLES: Roles = {
  options: [
    { value: 'member', label: 'Member' },
    { value: 'admin', label: 'Admin' },
  ],
  lead: 'admin',
};

export function MembersPage() {
  const { name, isAdmin, reload: reloadOrg } = useOrg();
  const me = useUser();
  const { refreshUser } = useSession();
  const { data, error, reload: load } = useApiGet<MemberList>(paths.members(name));
  const [removing, setRemoving] = useState<string>();

  const add = async (login: string, role: string) => {
    await api('PUT', paths.member(name, login.trim()), { role });
    notifyOk(`${login} is now ${role === 'admin' ? 'an admin' : 'a member'} of ${name}`);
  };

  const changeRole = async (who: string, newRole: string) => {
    try {
      await api('PUT', paths.member(name, who), { role: newRole });
      notifyOk(`${who} is now ${newRole}`);
      await load();
      if (who === me.githubLogin) {
        await refreshUser();
        await reloadOrg();
      }
    } catch (err) {
      notifyError(err, 'Could not change the role');
    }
  };

  const remove = async () => {
    if (!removing) return;
    try {
      await api('DELETE', paths.member(name, removing));
      notifyOk(`${removing} removed from ${name}`);
      setRemoving(undefined);
      await load();
      if (removing === me.githubLogin) await refreshUser();
    } catch (err) {
      notifyError(err, 'Could not remove the member');
    }
  };

  return (
    <Stack>
      <Title order={2}>Members · {name}</Title>
      {isAdmin && (
        <AddMemberForm
          loginLabel="Login"
          loginDescription="An existing user's login"
          roleLabel="Role"
          roles={ROLES.options}
          roleWidth={140}
          submitLabel="Add member"
          onAdd={add}
          onAdded={load}
        />
      )}
      <LoadedList items={data?.members} error={error} loadingLabel="Loading members">
        {(members) => (
          <MemberTable
            label="Members"
            minWidth={560}
            members={members.map((m) => ({ ...m.user, role: m.role }))}
            showEmail
            roles={ROLES}
            roleWidth={130}
            canManage={isAdmin}
            roleLabel={(login) => `Role of ${login}`}
            removeLabel={(login) => `Remove ${login}`}
            onChangeRole={(login, role) => void changeRole(login, role)}
            onRemove={setRemoving}
          />
        )}
      </LoadedList>
      <ConfirmModal opened={!!removing} title="Remove member?" confirmLabel="Remove" onCancel={() => setRemoving(undefined)} onConfirm={() => void remove()}>
        {removing} loses access to {name} and leaves all of its teams. Organization and team tokens they created stay valid.
      </ConfirmModal>
    </Stack>
  );
}
