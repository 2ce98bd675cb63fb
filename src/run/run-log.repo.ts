import type { Selectable } from 'kysely';
import { TideError } from '../errors/tide-error.ts';
import { dialectOf, inTransaction, toInstant } from '../store/dialect.ts';
import type { Db, LogStream, RunLogChunksTable } from '../store/schema.ts';
import { storeCall } from '../store/store-errors.ts';

export type LogChunk = Selectable<RunLogChunksTable>;

export interface NewLogChunk {
  stream: LogStream;
  content: string;
  created_at: Date;
}

/**
 * Appends a chunk with the next sequence number (1, 2, 3… with no gaps). Concurrent appenders to one run
 * are serialized on the run row (FOR NO KEY UPDATE on PostgreSQL, which still lets the chunk's foreign
 * key check through; the immediate transaction on SQLite), so max(seq) + 1 is never read twice.
 */
export async function appendLogChunk(db: Db, runId: string, chunk: NewLogChunk): Promise<LogChunk> {
  const createdAt = toInstant(chunk.created_at);
  return storeCall('appendLogChunk', () =>
    inTransaction(db, async (trx) => {
      const run = await trx
        .selectFrom('runs')
        .select('id')
        .where('id', '=', runId)
        .$if(dialectOf(trx) === 'postgres', (qb) => qb.forNoKeyUpdate())
        .executeTakeFirst();
      if (!run)
        throw new TideError('not_found', `run ${runId} does not exist`, { details: { run_id: runId } });
      const { last } = await trx
        .selectFrom('run_log_chunks')
        .select((eb) => eb.fn.coalesce(eb.fn.max('seq'), eb.lit(0)).as('last'))
        .where('run_id', '=', runId)
        .executeTakeFirstOrThrow();
      return trx
        .insertInto('run_log_chunks')
        .values({
          run_id: runId,
          seq: Number(last) + 1,
          created_at: createdAt,
          stream: chunk.stream,
          content: chunk.content,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    }),
  );
}

export interface ReadLogQuery {
  /** Only chunks with seq greater than this (default 0: from the start). Live tails pass the last seq seen. */
  afterSeq?: number;
  /** Default 1000. */
  limit?: number;
}

export async function readLogChunks(db: Db, runId: string, query: ReadLogQuery = {}): Promise<LogChunk[]> {
  const limit = query.limit ?? 1000;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new TideError('invalid_argument', `limit must be a positive integer, got ${limit}`);
  }
  return storeCall('readLogChunks', () =>
    db
      .selectFrom('run_log_chunks')
      .selectAll()
      .where('run_id', '=', runId)
      .where('seq', '>', query.afterSeq ?? 0)
      .orderBy('seq')
      .limit(limit)
      .execute(),
  );
}
