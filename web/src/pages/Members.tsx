import { Button, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { api, paths, type Invitation, type InvitationList, type MemberList } from '../api';
import { DataTable } from '../components/DataTable';
import { AddMemberForm } from '../components/AddMemberForm';
import { ConfirmModal } from '../components/ConfirmModal';
import { LoadedList } from '../components/LoadedList';
import { MemberTable } from '../components/MemberTable';
import type { Roles } from '../components/members';
import { useApiGet } from '../components/useApiGet';
import { notifyError, notifyOk } from '../errors';
import { useSession, useUser } from '../session';
import { Expires, When } from '../time';
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
  const invitations = useApiGet<InvitationList>(isAdmin ? paths.orgInvitations(name) : undefined);
  const [removing, setRemoving] = useState<string>();
  const [canceling, setCanceling] = useState<Invitation>();

  // Someone who is not a member is invited (202) and joins on accepting; a member's role changes at once (200).
  const invite = async (login: string, role: string) => {
    const who = login.trim();
    const reply = await api<{ invitation?: Invitation }>('PUT', paths.member(name, who), { role });
    if (reply?.invitation) notifyOk(`Invitation sent to ${who}; they join ${name} as ${role === 'admin' ? 'an admin' : 'a member'} when they accept`);
    else notifyOk(`${who} is now ${role === 'admin' ? 'an admin' : 'a member'} of ${name}`);
  };

  const cancel = async () => {
    if (!canceling) return;
    try {
      await api('DELETE', paths.orgInvitation(name, canceling.id));
      notifyOk(`Invitation of ${canceling.login} canceled`);
      setCanceling(undefined);
      await invitations.reload();
    } catch (err) {
      notifyError(err, 'Could not cancel the invitation');
    }
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
          loginDescription="They become a member when they accept the invitation"
          roleLabel="Role"
          roles={ROLES.options}
          roleWidth={140}
          submitLabel="Invite"
          onAdd={invite}
          onAdded={async () => {
            await Promise.all([load(), invitations.reload()]);
          }}
        />
      )}
      {isAdmin && (
        <>
          <Title order={3} size="h4">
            Pending invitations
          </Title>
          <LoadedList items={invitations.data?.invitations} error={invitations.error} loadingLabel="Loading invitations" empty={<Text size="sm">No pending invitations.</Text>}>
            {(list) => (
              <DataTable label="Pending invitations" minWidth={560} columns={['Login', 'Role', 'Invited by', 'Invited', 'Expires']} actions>
                {list.map((i) => (
                  <Table.Tr key={i.id}>
                    <Table.Td>{i.login}</Table.Td>
                    <Table.Td>{i.role}</Table.Td>
                    <Table.Td>{i.invitedBy}</Table.Td>
                    <Table.Td>
                      <When at={i.created} />
                    </Table.Td>
                    <Table.Td>
                      <Expires at={i.expires} />
                    </Table.Td>
                    <Table.Td>
                      <Button size="xs" variant="subtle" color="red" aria-label={`Cancel the invitation of ${i.login}`} onClick={() => setCanceling(i)}>
                        Cancel
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </DataTable>
            )}
          </LoadedList>
          <Title order={3} size="h4">
            Members
          </Title>
        </>
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
      <ConfirmModal
        opened={!!canceling}
        title="Cancel invitation?"
        confirmLabel="Cancel invitation"
        onCancel={() => setCanceling(undefined)}
        onConfirm={() => void cancel()}
      >
        {canceling?.login} can no longer accept this invitation to {name}.
      </ConfirmModal>
      <ConfirmModal opened={!!removing} title="Remove member?" confirmLabel="Remove" onCancel={() => setRemoving(undefined)} onConfirm={() => void remove()}>
        {removing} loses access to {name} and leaves all of its teams. Organization and team tokens they created stay valid.
      </ConfirmModal>
    </Stack>
  );
}
