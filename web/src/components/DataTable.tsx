import type { Key, ReactNode } from 'react';

/** One column of a {@link DataTable}: its header and what each row shows in it. */
export interface Column<Row> {
  readonly header: ReactNode;
  readonly cell: (row: Row) => ReactNode;
  /** A class on the column's cells, for one that needs its own width or wrapping. */
  readonly className?: string;
}

/** The fields of a row that can key it: its id, or its name where the name is the id. */
export type KeyField<Row> = { [K in keyof Row]: Row[K] extends Key ? K : never }[keyof Row];

export interface DataTableProps<Row> {
  readonly columns: ReadonlyArray<Column<Row> | false>;
  readonly rows: readonly Row[];
  readonly rowKey: KeyField<Row>;
  readonly empty?: ReactNode;
  /** For screen readers only: the heading above the table usually says it already. */
  readonly caption?: string;
}

/**
 * The dashboard's table: scrolls sideways in its own box on a narrow screen, headers scoped to their
 * columns. A column given as `false` is left out, so one shown only to some roles reads
 * `operator && { … }`. With `empty`, no rows show that sentence instead of an empty table.
 */
export function DataTable<Row>({ columns, rows, rowKey, empty, caption }: DataTableProps<Row>) {
  if (rows.length === 0 && empty !== undefined) return <p className="muted">{empty}</p>;
  const shown = columns.filter((column): column is Column<Row> => column !== false);
  return (
    <div className="table-wrap">
      <table>
        {caption && <caption className="sr-only">{caption}</caption>}
        <thead>
          <tr>
            {shown.map((column, index) => (
              <th key={index} scope="col">
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row[rowKey] as Key}>
              {shown.map((column, index) => (
                <td key={index} className={column.className}>
                  {column.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
