import { Table, VisuallyHidden } from '@mantine/core';
import type { ReactNode } from 'react';

export interface DataTableProps {
  /** The table's accessible name. */
  label: string;
  /** Below this width the table scrolls sideways. */
  minWidth: number;
  /** Column headings; `false` leaves a column out. */
  columns: (string | false)[];
  /** Adds a last column, headed "Actions" for screen readers only. */
  actions?: boolean;
  highlightOnHover?: boolean;
  /** The rows. */
  children: ReactNode;
}

/** The console's striped, sideways-scrolling table with its heading row. */
export function DataTable({ label, minWidth, columns, actions = false, highlightOnHover, children }: DataTableProps) {
  return (
    <Table.ScrollContainer minWidth={minWidth}>
      <Table striped highlightOnHover={highlightOnHover} aria-label={label}>
        <Table.Thead>
          <Table.Tr>
            {columns.map((c) => c !== false && <Table.Th key={c}>{c}</Table.Th>)}
            {actions && (
              <Table.Th>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            )}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>{children}</Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
