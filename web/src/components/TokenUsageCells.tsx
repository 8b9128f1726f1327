import { Table } from '@mantine/core';
import type { AccessToken } from '../api';
import { Expires, When } from '../time';

/** A token row's "Last used" and "Expires" cells. */
export function TokenUsageCells({ token }: { token: Pick<AccessToken, 'lastUsed' | 'expires'> }) {
  return (
    <>
      <Table.Td>
        <When at={token.lastUsed} never="never used" />
      </Table.Td>
      <Table.Td>
        <Expires at={token.expires} />
      </Table.Td>
    </>
  );
}
