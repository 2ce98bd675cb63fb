import type { ReactNode } from 'react';
import { ErrorView, Loading } from './Feedback';

/** What {@link QueryView} reads of a TanStack query result. */
export interface QueryState<T> {
  readonly isPending: boolean;
  readonly isError: boolean;
  readonly error: unknown;
  readonly data: T | undefined;
}

/**
 * A query's three faces: "Loading …" while it is pending, the API's error when it failed, and its data
 * (kept while a new key loads, with `placeholderData`) through `children`.
 */
export function QueryView<T>({
  query,
  what,
  errorWhat = `the ${what}`,
  children,
}: {
  query: QueryState<T>;
  /** Named in "Loading {what}…". */
  what: string;
  /** Named in "Could not load {errorWhat}". */
  errorWhat?: string;
  children: (data: T) => ReactNode;
}) {
  return (
    <>
      {query.isPending && <Loading what={what} />}
      {query.isError && <ErrorView error={query.error} what={errorWhat} />}
      {query.data !== undefined && children(query.data)}
    </>
  );
}
