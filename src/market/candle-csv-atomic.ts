import { open, rename, rm } from 'node:fs/promises';

export type CsvCell = string | number;

/** Flush to disk in ~1 MiB writes (writeFile: no partial writes): few syscalls, bounded memory for any row count. */
const FLUSH_CHARS = 1 << 20;

/**
 * Writes a CSV file atomically: everything goes to `<path>.tmp-<pid>`, which is fsynced and then
 * renamed over `path`. On any error (including one thrown by the row iterator) the temp file is
 * removed, so a reader never sees a partial file and a failed run leaves no output at all.
 * Numbers are written in shortest round-trip form; NaN and ±Infinity become empty cells.
 */
export async function writeCsvAtomic(
  path: string,
  header: readonly string[],
  rows: Iterable<readonly CsvCell[]> | AsyncIterable<readonly CsvCell[]>,
): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w');
  let closed = false;
  try {
    let buf = header.map(cell).join(',') + '\n';
    for await (const row of rows) {
      buf += row.map(cell).join(',') + '\n';
      if (buf.length >= FLUSH_CHARS) {
        await fh.writeFile(buf);
        buf = '';
      }
    }
    if (buf.length > 0) await fh.writeFile(buf);
    await fh.sync();
    closed = true;
    await fh.close();
    await rename(tmp, path);
  } catch (err) {
    if (!closed) await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
}

function cell(v: CsvCell): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
