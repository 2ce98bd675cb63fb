import { DataTable, type DataTableProps } from './DataTable';
import { QueryView, type QueryState } from './QueryView';

/** A query for a page of rows (`{ items }`, as the API's list routes answer) shown as a DataTable. */
export function QueryTable<Row>({
  query,
  what,
  errorWhat,
  ...table
}: Omit<DataTableProps<Row>, 'rows'> & {
  query: QueryState<{ readonly items: readonly Row[] }>;
  what: string;
  errorWhat?: string;
}) {
  return (
    <QueryView query={query} what={what} errorWhat={errorWhat}>
      {(page) => <DataTable rows={page.items} {...table} />}
    </QueryView>
  );
}
