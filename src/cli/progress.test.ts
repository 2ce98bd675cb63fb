import { describe, expect, it } from 'vitest';
import { ManualClock } from '../time/clock.ts';
import { Progress } from './progress.ts';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (text: string) => writes.push(text) };
}

describe('Progress', () => {
  it('draws nothing at all when stderr is not a terminal', () => {
    const stream = fakeStream(false);
    const progress = new Progress(stream);
    progress.start('waiting');
    progress.clear();
    progress.stop();
    expect(stream.writes).toEqual([]);
    expect(progress.active).toBe(false);
  });

  it('draws a spinner line with the elapsed time on a terminal and wipes it when stopped', () => {
    const stream = fakeStream(true);
    const clock = new ManualClock('2027-03-15T06:00:00Z');
    const progress = new Progress(stream, clock);
    progress.start('waiting for deploy of web');
    const line = stream.writes.at(-1) ?? '';
    expect(line.startsWith('\r\x1b[2K')).toBe(true);
    expect(line.slice(5)).toMatch(/^. waiting for deploy of web \(0s\)$/);
    progress.clear();
    expect(stream.writes.at(-1)).toBe('\r\x1b[2K');
    progress.stop();
    expect(stream.writes.at(-1)).toBe('\r\x1b[2K');
    expect(progress.active).toBe(false);
  });
});
