import { describe, expect, it } from 'vitest';
import type { LogLinesEvent } from '../run/run-events.ts';
import {
  encodeEvent,
  EventAssembler,
  PART_CHARS,
  relayedEvents,
  type RelayedEvent,
} from './event-envelope.ts';

const origin = '5b4f6a0e-2c1d-4f7e-9a3b-8c2d1e0f4a5b';

function logEvent(lines: string[]): RelayedEvent {
  const data: LogLinesEvent = { runId: 'r1', workspace: 'web', seq: 7, stream: 'stdout', lines };
  return { event: 'run.log', data };
}

function assemble(assembler: EventAssembler, payloads: readonly string[]): (RelayedEvent | null)[] {
  return payloads.map((payload) => assembler.accept(payload).event);
}

describe('an event sent as notifications', () => {
  it('travels in one notification when it is small, and arrives as it was sent', () => {
    const sent: RelayedEvent = {
      event: 'workspace.status',
      data: { workspace: 'web', status: 'deployed', mode: null },
    };
    const parts = encodeEvent(origin, sent);
    expect(parts).toHaveLength(1);
    expect(new EventAssembler().accept(parts[0]!)).toEqual({ origin, event: sent });
  });

  it('splits a log chunk too big for NOTIFY into parts under 8000 bytes that put it back together exactly', () => {
    const lines = Array.from(
      { length: 100 },
      (_, i) => `line ${i} ${'é€😀\t"\\'.repeat(60)} ${'x'.repeat(300)}`,
    );
    const parts = encodeEvent(origin, logEvent(lines));
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(Buffer.byteLength(part, 'utf8')).toBeLessThan(8000);
      expect(part).toMatch(/^[\x20-\x7e]*$/);
    }
    const received = assemble(new EventAssembler(), parts);
    expect(received.slice(0, -1)).toEqual(parts.slice(1).map(() => null));
    expect(received.at(-1)).toEqual(logEvent(lines));
  });

  it('puts together the events of two replicas whose parts arrive interleaved', () => {
    const other = 'a-second-replica';
    const big = logEvent(['y'.repeat(PART_CHARS * 2)]);
    const mine = encodeEvent(origin, big);
    const theirs = encodeEvent(other, big);
    const assembler = new EventAssembler();
    const received = mine.flatMap((part, i) => [assembler.accept(part), assembler.accept(theirs[i]!)]);
    expect(received.filter((r) => r.event).map((r) => [r.origin, r.event])).toEqual([
      [origin, big],
      [other, big],
    ]);
  });

  it('drops an event whose last parts never came, and delivers the next one from the same replica', () => {
    const cut = encodeEvent(origin, logEvent(['z'.repeat(PART_CHARS * 2)]));
    const next = encodeEvent(origin, logEvent(['next']));
    const assembler = new EventAssembler();
    expect(assemble(assembler, [cut[0]!, ...next])).toEqual([null, logEvent(['next'])]);
  });

  it('drops an event one of whose middle parts is missing', () => {
    const parts = encodeEvent(origin, logEvent(['w'.repeat(PART_CHARS * 3)]));
    expect(assemble(new EventAssembler(), [parts[0]!, parts[2]!, parts[3]!])).toEqual([null, null, null]);
  });

  it('forgets unfinished events when reset', () => {
    const parts = encodeEvent(origin, logEvent(['v'.repeat(PART_CHARS * 2)]));
    const assembler = new EventAssembler();
    assembler.accept(parts[0]!);
    assembler.reset();
    expect(assemble(assembler, parts.slice(1))).toEqual(parts.slice(1).map(() => null));
  });

  it('refuses a notification that is not an event part, or whose event is unknown', () => {
    const assembler = new EventAssembler();
    expect(() => assembler.accept('hello')).toThrow('not an event notification: hello');
    expect(() => assembler.accept(`${origin} 0 1 {"event":"run.exploded","data":{}}`)).toThrow(
      'not a relayed event: {"event":"run.exploded"',
    );
    expect(() => assembler.accept(`${origin} 0 1 {"event":"run.updated","data":1}`)).toThrow(
      'not a relayed event',
    );
    expect(() => assembler.accept(`${origin} 0 1 null`)).toThrow('not a relayed event: null');
  });

  it('relays every event the hub carries', () => {
    expect(relayedEvents).toEqual(['run.updated', 'run.log', 'workspace.status', 'firing.recorded']);
  });
});
