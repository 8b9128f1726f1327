import { Badge, Button, Select, Table } from '@mantine/core';
import { DataTable } from './DataTable';
import type { MemberRow, Roles } from './members';

export interface MemberTableProps {
  /** The table's accessible name. */
  label: string;
  minWidth: number;
  members: MemberRow[];
  showEmail?: boolean;
  roles: Roles;
  /** Width of the role select. */
  roleWidth: number;
  /** Managers change roles and remove members; others see the role as a badge. */
  canManage: boolean;
  /** Accessible names of a row's role select and remove button. */
  roleLabel(login: string): string;
  removeLabel(login: string): string;
  onChangeRole(login: string, role: string): void;
  onRemove(login: string): void;
}

/** The members of an organization or team, with their roles. */
export function MemberTable({ label, minWidth, members, showEmail = false, roles, roleWidth, canManage, roleLabel, removeLabel, onChangeRole, onRemove }: MemberTableProps) {
  return (
    <DataTable label={label} minWidth={minWidth} columns={['Login', 'Name', showEmail && 'Email', 'Role']} actions={canManage}>
      {members.map((m) => (
        <Table.Tr key={m.githubLogin}>
          <Table.Td>{m.githubLogin}</Table.Td>
          <Table.Td>{m.name}</Table.Td>
          {showEmail && <Table.Td>{m.email}</Table.Td>}
          <Table.Td>
            {canManage ? (
              <Select
                aria-label={roleLabel(m.githubLogin)}
                data={roles.options}
                value={m.role}
                onChange={(v) => v && v !== m.role && onChangeRole(m.githubLogin, v)}
                allowDeselect={false}
                w={roleWidth}
                size="xs"
              />
            ) : (
              <Badge variant="light" color={m.role === roles.lead ? 'blue' : 'gray'}>
                {m.role}
              </Badge>
            )}
          </Table.Td>
          {canManage && (
            <Table.Td>
              <Button size="xs" color="red" variant="light" onClick={() => onRemove(m.githubLogin)} aria-label={removeLabel(m.githubLogin)}>
                Remove
              </Button>
            </Table.Td>
          )}
        </Table.Tr>
      ))}
    </DataTable>
  );
}
