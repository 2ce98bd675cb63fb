/**
 * A minimal POSIX ustar writer and reader for backup archives: regular files only, names up to 100 bytes,
 * everything in memory. Enough for `manifest.json` and `tables/<table>.jsonl`; no dependency, so nothing
 * native to build. Any other entry type, a bad header checksum or a truncated file is refused.
 */
import { TideError } from '../errors/tide-error.ts';

const BLOCK = 512;

export interface TarEntry {
  readonly name: string;
  readonly data: Buffer;
}

export function writeTar(entries: readonly TarEntry[], mtime: Date): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(header(entry.name, entry.data.length, mtime));
    parts.push(entry.data);
    const pad = (BLOCK - (entry.data.length % BLOCK)) % BLOCK;
    if (pad > 0) parts.push(Buffer.alloc(pad));
  }
  // Two zero blocks end the archive.
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

function header(name: string, size: number, mtime: Date): Buffer {
  const block = Buffer.alloc(BLOCK);
  if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name too long: ${name}`);
  block.write(name, 0, 100, 'utf8');
  block.write(octal(0o600, 8), 100, 8, 'ascii');
  block.write(octal(0, 8), 108, 8, 'ascii');
  block.write(octal(0, 8), 116, 8, 'ascii');
  block.write(octal(size, 12), 124, 12, 'ascii');
  block.write(octal(Math.floor(mtime.getTime() / 1000), 12), 136, 12, 'ascii');
  block.fill(' ', 148, 156);
  block.write('0', 156, 1, 'ascii');
  block.write('ustar\u000000', 257, 8, 'ascii');
  block.write(octal(checksum(block), 7), 148, 7, 'ascii');
  return block;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\u0000';
}

function checksum(block: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i]!;
  return sum;
}

/** The archive's regular files, in order. `source` names the archive in errors. */
export function readTar(archive: Buffer, source: string): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  while (offset + BLOCK <= archive.length) {
    const block = archive.subarray(offset, offset + BLOCK);
    if (block.every((byte) => byte === 0)) return entries;
    const name = cString(block.subarray(0, 100));
    const stored = parseInt(cString(block.subarray(148, 156)).trim(), 8);
    if (stored !== checksum(block)) {
      throw corrupt(
        source,
        `the tar header of entry ${entries.length + 1} (${JSON.stringify(name)}) is damaged`,
      );
    }
    const type = String.fromCharCode(block[156]!);
    if (type !== '0' && type !== '\u0000') {
      throw corrupt(source, `entry ${JSON.stringify(name)} is not a regular file`);
    }
    const size = parseInt(cString(block.subarray(124, 136)).trim(), 8);
    const start = offset + BLOCK;
    if (!Number.isSafeInteger(size) || start + size > archive.length) {
      throw corrupt(source, `${name} is truncated`);
    }
    entries.push({ name, data: archive.subarray(start, start + size) });
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  throw corrupt(source, 'the archive is truncated (no end-of-archive marker)');
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? bytes.length : end).toString('utf8');
}

function corrupt(source: string, message: string): TideError {
  return new TideError('backup_invalid', `${source} is not a valid Tide backup: ${message}`, {
    details: { archive: source },
  });
}
