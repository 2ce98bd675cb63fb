/** The audit_log and audit_log_head tables. Appends are the only writes; nothing here updates an entry. */
import { sql } from 'kysely';
import { dialectOf, inTransaction, toInstant } from '../store/dialect.ts';
import { decodeCursor, toPage, type Page } from '../store/page.ts';
import type { AuditLogHeadTable, Db } from '../store/schema.ts';
import { storeCall } from '../store/store-errors.ts';
import type { AuditEntryInput } from './audit-entry.ts';
import { auditEntryHash, canonicalJson, GENESIS_HASH, normaliseDetails } from './audit-hash.ts';
import { entryMac, headMac, type AuditKey } from './audit-mac.ts';
import {
  toAuditEntry,
  toSignedAuditEntry,
  type AuditEntry,
  type AuditFilter,
  type SignedAuditEntry,
} from './audit.ts';

/**
 * The PostgreSQL advisory lock that serialises appends across replicas ("tide" in ASCII, then 01). Held
 * for the append's transaction only, so a crashed replica cannot leave it taken.
 */
export const AUDIT_CHAIN_LOCK_KEY = 0x74_69_64_65_01;

const HEAD_ID = 1;

/**
 * Appends one entry at `at`, linked to the current head, and signs the entry and the new head with `key`.
 * The chain stays linear however many replicas append at once: on PostgreSQL the advisory lock makes the
 * read-head / insert / move-head sequence exclusive; on SQLite the transaction is BEGIN IMMEDIATE
 * (sqlite-dialect.ts), which already is.
 */
export async function appendAuditEntry(
  db: Db,
  input: AuditEntryInput,
  at: Date,
  key: AuditKey,
): Promise<SignedAuditEntry> {
  return storeCall('append an audit entry', () =>
    inTransaction(db, async (trx) => {
      if (dialectOf(trx) === 'postgres') {
        await sql`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK_KEY}::bigint)`.execute(trx);
      }
      const head = await readHead(trx);
      const fields = {
        id: (head?.last_id ?? 0) + 1,
        at: toInstant(at),
        actor: input.actor,
        action: input.action,
        target: input.target,
        result: input.result,
        source_ip: input.sourceIp,
        request_id: input.requestId,
        details: normaliseDetails(input.details) as Record<string, unknown> | null,
      };
      const prevHash = head?.last_hash ?? GENESIS_HASH;
      const hash = auditEntryHash(prevHash, fields);
      const mac = entryMac(key, hash);
      await trx
        .insertInto('audit_log')
        .values({
          ...fields,
          details: fields.details === null ? null : canonicalJson(fields.details),
          prev_hash: prevHash,
          hash,
          mac,
        })
        .execute();
      const newHead = { last_id: fields.id, last_hash: hash, mac: headMac(key, fields.id, hash) };
      await trx
        .insertInto('audit_log_head')
        .values({ id: HEAD_ID, ...newHead })
        .onConflict((conflict) => conflict.column('id').doUpdateSet(newHead))
        .execute();
      return { ...fields, prev_hash: prevHash, hash, mac };
    }),
  );
}

function readHead(db: Db): Promise<AuditLogHeadTable | undefined> {
  return db.selectFrom('audit_log_head').selectAll().where('id', '=', HEAD_ID).executeTakeFirst();
}

export interface AuditHead {
  readonly lastId: number;
  readonly lastHash: string;
  /** Null when the head was last moved before the log was signed. */
  readonly mac: string | null;
}

/** Where the chain ends according to the head row; undefined before the first append. */
export async function readAuditHead(db: Db): Promise<AuditHead | undefined> {
  const head = await storeCall('read the audit chain head', () => readHead(db));
  return head && { lastId: head.last_id, lastHash: head.last_hash, mac: head.mac };
}

/** The stored hash of entry `id`, or undefined when there is no such entry. */
export async function readAuditHash(db: Db, id: number): Promise<string | undefined> {
  const row = await storeCall('read an audit entry', () =>
    db.selectFrom('audit_log').select('hash').where('id', '=', id).executeTakeFirst(),
  );
  return row?.hash;
}

/** Up to `limit` entries with ids above `afterId`, oldest first: how verification walks the whole log. */
export async function readAuditBatch(db: Db, afterId: number, limit: number): Promise<SignedAuditEntry[]> {
  const rows = await storeCall('read audit entries', () =>
    db
      .selectFrom('audit_log')
      .selectAll()
      .where('id', '>', afterId)
      .orderBy('id', 'asc')
      .limit(limit)
      .execute(),
  );
  return rows.map(toSignedAuditEntry);
}

/** The id of the entry whose hash is `hash`, if any (only asked when a link is broken: no index). */
export async function findAuditIdByHash(db: Db, hash: string): Promise<number | undefined> {
  const row = await storeCall('find an audit entry by hash', () =>
    db.selectFrom('audit_log').select('id').where('hash', '=', hash).executeTakeFirst(),
  );
  return row?.id;
}

export interface AuditListQuery extends AuditFilter {
  readonly limit: number;
  readonly cursor: string | null;
}

/** Newest first, keyset-paged on id. */
export async function listAuditEntries(db: Db, query: AuditListQuery): Promise<Page<AuditEntry>> {
  const beforeId = query.cursor === null ? null : decodeCursor(query.cursor, 'number')[1];
  const rows = await storeCall('list audit entries', () => {
    let select = db.selectFrom('audit_log').selectAll();
    if (query.actor !== undefined) select = select.where('actor', '=', query.actor);
    if (query.action !== undefined) select = select.where('action', '=', query.action);
    if (query.target !== undefined) select = select.where('target', '=', query.target);
    if (query.result !== undefined) select = select.where('result', '=', query.result);
    if (query.since !== undefined) select = select.where('at', '>=', toInstant(query.since));
    if (query.until !== undefined) select = select.where('at', '<', toInstant(query.until));
    if (beforeId !== null) select = select.where('id', '<', beforeId);
    return select
      .orderBy('id', 'desc')
      .limit(query.limit + 1)
      .execute();
  });
  return toPage(rows.map(toAuditEntry), query.limit, (entry) => ['audit', entry.id]);
}
