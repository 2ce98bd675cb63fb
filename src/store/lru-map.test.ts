import { expect, it } from 'vitest';
import { LruMap } from './lru-map.ts';

it('drops the least recently used entry beyond its size; reading or writing an entry makes it recent', () => {
  const lru = new LruMap<string, number>(2);
  lru.set('a', 1);
  lru.set('b', 2);
  expect(lru.get('a')).toBe(1);
  lru.set('c', 3);
  expect(lru.get('b')).toBeUndefined();
  lru.set('a', 10);
  lru.set('d', 4);
  expect([lru.get('a'), lru.get('c'), lru.get('d')]).toEqual([10, undefined, 4]);
});

it('forgets a deleted entry, which no longer counts toward its size', () => {
  const lru = new LruMap<string, number>(2);
  lru.set('a', 1);
  lru.set('b', 2);
  lru.delete('a');
  lru.set('c', 3);
  expect([lru.get('a'), lru.get('b'), lru.get('c')]).toEqual([undefined, 2, 3]);
});
