import { describe, expect, it } from 'vitest';
import { firstPage, newerPage, olderPage } from './cursor-pages';

describe('cursor paging', () => {
  it('starts on the first page, which has no cursor', () => {
    expect(firstPage).toEqual([undefined]);
  });

  it('goes older by the cursor the API gave and back newer by popping it', () => {
    const second = olderPage(firstPage, 'c1');
    const third = olderPage(second, 'c2');
    expect(third).toEqual([undefined, 'c1', 'c2']);
    expect(newerPage(third)).toEqual([undefined, 'c1']);
    expect(newerPage(newerPage(third))).toEqual([undefined]);
  });

  it('stays on the first page when asked for a newer one there', () => {
    expect(newerPage(firstPage)).toBe(firstPage);
  });
});
