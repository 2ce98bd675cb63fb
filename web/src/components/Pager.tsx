import type { CursorPages } from '../lib/cursor-pages';

/** Newer/Older buttons over useCursorPages (lib/cursor-pages); Older is off when the API gave no next cursor. */
export function Pager({ pages, next }: { pages: CursorPages; next: string | null | undefined }) {
  return (
    <div className="actions">
      <button type="button" disabled={!pages.hasNewer} onClick={pages.newer}>
        Newer
      </button>
      <button type="button" disabled={!next} onClick={() => next && pages.older(next)}>
        Older
      </button>
    </div>
  );
}
