import { Writable } from 'node:stream';
import pino from 'pino';
import { expect, it } from 'vitest';
import type { Db } from '../store/schema.ts';
import { loggingDriftNotifier } from './drift-notifier.ts';

it('logs a new drift at warn level with its workspace, run, summary and addresses (until notifications take it)', async () => {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const notify = loggingDriftNotifier(pino({ level: 'info' }, stream));
  // The logging notifier writes nothing to the store: any transaction will do.
  await notify({} as Db, {
    workspace: 'web',
    run_id: 'run-1',
    summary: { add: 0, change: 1, destroy: 0 },
    addresses: ['terraform_data.watched'],
  });
  expect(lines).toMatchObject([
    {
      level: 40,
      msg: 'drift detected',
      workspace: 'web',
      run_id: 'run-1',
      summary: { add: 0, change: 1, destroy: 0 },
      addresses: ['terraform_data.watched'],
    },
  ]);
});
