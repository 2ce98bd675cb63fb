import { useState } from 'react';

/**
 * The cursors of the pages read so far, this one's last; the first page has none. The API pages forward
 * only (`next_cursor`), so going back to newer entries means popping the stack.
 */
export type CursorStack = readonly (string | undefined)[];

export const firstPage: CursorStack = [undefined];
export const olderPage = (stack: CursorStack, next: string): CursorStack => [...stack, next];
export const newerPage = (stack: CursorStack): CursorStack => (stack.length > 1 ? stack.slice(0, -1) : stack);

export interface CursorPages {
  /** The cursor to ask the API for this page with; none on the first. */
  readonly cursor: string | undefined;
  readonly hasNewer: boolean;
  readonly newer: () => void;
  readonly older: (next: string) => void;
  /**
   * A filter's setter that also goes back to the first page: a changed filter makes the cursors read so
   * far meaningless.
   */
  readonly filter: <T>(set: (value: T) => void) => (value: T) => void;
}

/** Newer/Older paging of a newest-first list (the audit log, notification deliveries). */
export function useCursorPages(): CursorPages {
  const [stack, setStack] = useState(firstPage);
  return {
    cursor: stack.at(-1),
    hasNewer: stack.length > 1,
    newer: () => setStack(newerPage),
    older: (next) => setStack((previous) => olderPage(previous, next)),
    filter: (set) => (value) => {
      set(value);
      setStack(firstPage);
    },
  };
}
