import { createHash, randomBytes } from 'node:crypto';
import { appendFile, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { ModelMismatchError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { parseManifest, type ModelManifest } from './manifest.js';
import { OnnxSignalModel } from './onnx-signal-model.js';

/**
 * The model registry: a folder of immutable model folders, each named by an id derived from its
 * content, and a champion pointer.
 *
 *   <registry>/models/<id>/   model.onnx, manifest.json, lineage.json (parent, data range, source)
 *   <registry>/champion.json  { id, previous: [older champions, newest first], promotedAt, promotedBy, reason }
 *   <registry>/history.jsonl  one line per promotion, rollback and refused promotion
 *
 * Every write is a temporary + rename: a model folder is staged under .staging/ and renamed into
 * models/ whole, champion.json is written beside and renamed over, so a crash at any point leaves
 * either the old or the new state and never a half-written model or pointer. Promotions and
 * rollbacks hold a lock file so two operators cannot interleave them.
 */
export const MODEL_ID = /^[0-9a-f]{16}$/;

const lineageSchema = z.object({
  id: z.string().regex(MODEL_ID),
  modelId: z.string(),
  parent: z.string().regex(MODEL_ID).nullable(),
  source: z.enum(['train', 'import', 'trainer', 'add']),
  addedAt: z.string(),
  addedBy: z.string(),
  dataFromMs: z.number().nullable(),
  dataToMs: z.number().nullable(),
});
export type Lineage = z.infer<typeof lineageSchema>;

const championSchema = z.object({
  id: z.string().regex(MODEL_ID),
  previous: z.array(z.string().regex(MODEL_ID)),
  promotedAt: z.string(),
  promotedBy: z.string(),
  reason: z.string(),
});
export type ChampionPointer = z.infer<typeof championSchema>;

export interface HistoryEntry {
  readonly at: string;
  /** refused: a promotion that failed its checks; rejected: a challenger that lost; failed: a retraining that crashed. */
  readonly action: 'promote' | 'rollback' | 'refused' | 'rejected' | 'failed';
  readonly id: string;
  readonly from: string | null;
  readonly by: string;
  readonly reason: string;
}

export interface RegistryEntry {
  readonly id: string;
  readonly dir: string;
  readonly manifest: ModelManifest;
  readonly lineage: Lineage;
  readonly champion: boolean;
}

/** Refused promotion or rollback: the message says why; the champion is unchanged. */
export class RegistryError extends Error {
  constructor(
    message: string,
    readonly code: 'NOT_FOUND' | 'INVALID_MODEL' | 'NO_PREVIOUS' | 'BUSY' | 'ALREADY_CHAMPION',
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

/** Content id of a model folder: sha256 over model.onnx then manifest.json, first 16 hex digits. */
export function contentId(onnx: Uint8Array, manifestText: string): string {
  return createHash('sha256').update(onnx).update('\0').update(manifestText).digest('hex').slice(0, 16);
}

/** Checks a model folder beyond its manifest (runs it, checks the spec); throws ModelMismatchError with the reason. */
export type ModelVerifier = (dir: string, manifest: ModelManifest) => Promise<void>;

export interface RegistryOptions {
  readonly nowMs: () => number;
  /** Full check at promotion (the daemon loads the model with onnxruntime). */
  readonly verify: ModelVerifier;
}

export class ModelRegistry {
  readonly root: string;

  constructor(
    root: string,
    private readonly options: RegistryOptions,
  ) {
    this.root = resolve(root);
  }

  private get modelsDir(): string {
    return join(this.root, 'models');
  }
  private get championPath(): string {
    return join(this.root, 'champion.json');
  }
  private iso(): string {
    return new Date(this.options.nowMs()).toISOString();
  }
  dirOf(id: string): string {
    return join(this.modelsDir, id);
  }

  /**
   * Copies a model folder into the registry (staged, then renamed whole) and returns its id. The
   * manifest and the ONNX hash are checked first; a folder already registered returns its id.
   */
  async add(sourceDir: string, lineage: { readonly parent: string | null; readonly source: Lineage['source']; readonly by: string }): Promise<RegistryEntry> {
    const { manifest, manifestText, onnx } = await readFolder(resolve(sourceDir));
    const id = contentId(onnx, manifestText);
    const existing = await this.find(id);
    if (existing !== null) return existing;
    if (lineage.parent !== null && (await this.find(lineage.parent)) === null)
      throw new RegistryError(`parent model ${lineage.parent} is not in the registry`, 'NOT_FOUND');
    const staging = join(this.root, '.staging', `${id}-${randomBytes(4).toString('hex')}`);
    await mkdir(staging, { recursive: true });
    try {
      await writeFile(join(staging, 'model.onnx'), onnx);
      await writeFile(join(staging, 'manifest.json'), manifestText);
      const data = manifest.training.data;
      const record: Lineage = {
        id,
        modelId: manifest.modelId,
        parent: lineage.parent,
        source: lineage.source,
        addedAt: this.iso(),
        addedBy: lineage.by,
        dataFromMs: data.length > 0 ? Math.min(...data.map((d) => d.fromMs)) : null,
        dataToMs: data.length > 0 ? Math.max(...data.map((d) => d.toMs)) : null,
      };
      await writeFile(join(staging, 'lineage.json'), `${JSON.stringify(record, null, 2)}\n`);
      await mkdir(this.modelsDir, { recursive: true });
      try {
        await rename(staging, this.dirOf(id));
      } catch (error) {
        // Another process registered the same content meanwhile: same id, same bytes.
        if ((await this.find(id)) === null) throw error;
      }
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    return (await this.find(id)) as RegistryEntry;
  }

  async champion(): Promise<ChampionPointer | null> {
    let text: string;
    try {
      text = await readFile(this.championPath, 'utf8');
    } catch {
      return null;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      raw = null;
    }
    const parsed = championSchema.safeParse(raw);
    if (!parsed.success)
      throw new ModelMismatchError(
        `${this.championPath} is not a valid champion pointer: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}. Restore it or promote a model again.`,
      );
    return parsed.data;
  }

  /** The registered model with this id (or a unique prefix of at least 4 hex digits), or null. */
  async find(idOrPrefix: string): Promise<RegistryEntry | null> {
    if (!/^[0-9a-f]{4,16}$/.test(idOrPrefix)) return null;
    const ids = (await this.ids()).filter((id) => id.startsWith(idOrPrefix));
    if (ids.length !== 1) return null;
    const id = ids[0] as string;
    const dir = this.dirOf(id);
    const { manifest } = await readFolder(dir);
    const lineage = lineageSchema.parse(JSON.parse(await readFile(join(dir, 'lineage.json'), 'utf8')));
    const champion = (await this.champion())?.id === id;
    return { id, dir, manifest, lineage, champion };
  }

  private async ids(): Promise<string[]> {
    try {
      return (await readdir(this.modelsDir)).filter((n) => MODEL_ID.test(n)).sort();
    } catch {
      return [];
    }
  }

  /** Every registered model, oldest first. A folder that fails to read is listed with its error. */
  async list(): Promise<({ ok: true; entry: RegistryEntry } | { ok: false; id: string; error: string })[]> {
    const out: ({ ok: true; entry: RegistryEntry } | { ok: false; id: string; error: string })[] = [];
    for (const id of await this.ids()) {
      try {
        out.push({ ok: true, entry: (await this.find(id)) as RegistryEntry });
      } catch (error) {
        out.push({ ok: false, id, error: (error as Error).message });
      }
    }
    return out.sort((a, b) => (a.ok && b.ok ? a.entry.lineage.addedAt.localeCompare(b.entry.lineage.addedAt) : 0));
  }

  async history(): Promise<HistoryEntry[]> {
    try {
      const text = await readFile(join(this.root, 'history.jsonl'), 'utf8');
      return text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as HistoryEntry);
    } catch {
      return [];
    }
  }

  /**
   * Makes `id` the champion after checking it fully (manifest, hash, spec, onnxruntime load and a
   * run). A model that fails is refused with the reason (recorded in the history); the champion
   * pointer is then untouched.
   */
  async promote(idOrPrefix: string, by: string, reason: string): Promise<ChampionPointer> {
    return this.locked(async () => {
      const current = await this.champion();
      const entry = await this.checked(idOrPrefix, by, current?.id ?? null);
      if (current?.id === entry.id) throw new RegistryError(`model ${entry.id} is already the champion`, 'ALREADY_CHAMPION');
      if (current !== null) {
        const champ = await this.find(current.id);
        if (champ !== null && champ.manifest.timeframe !== entry.manifest.timeframe) {
          return this.refuse(
            entry.id,
            by,
            current.id,
            `model ${entry.id} was trained on ${entry.manifest.timeframe} candles but the champion trades ${champ.manifest.timeframe}; a model must match the daemon's timeframe`,
          );
        }
      }
      const pointer: ChampionPointer = {
        id: entry.id,
        previous: current === null ? [] : [current.id, ...current.previous].slice(0, 50),
        promotedAt: this.iso(),
        promotedBy: by,
        reason,
      };
      await this.writePointer(pointer);
      await this.record({ at: pointer.promotedAt, action: 'promote', id: entry.id, from: current?.id ?? null, by, reason });
      return pointer;
    });
  }

  /** Makes the previous champion the champion again (after checking it still loads). */
  async rollback(by: string, reason = 'rollback'): Promise<ChampionPointer> {
    return this.locked(async () => {
      const current = await this.champion();
      const previous = current?.previous[0];
      if (current === null || previous === undefined) throw new RegistryError('there is no previous champion to roll back to', 'NO_PREVIOUS');
      const entry = await this.checked(previous, by, current.id);
      const pointer: ChampionPointer = { id: entry.id, previous: current.previous.slice(1), promotedAt: this.iso(), promotedBy: by, reason };
      await this.writePointer(pointer);
      await this.record({ at: pointer.promotedAt, action: 'rollback', id: entry.id, from: current.id, by, reason });
      return pointer;
    });
  }

  private async checked(idOrPrefix: string, by: string, from: string | null): Promise<RegistryEntry> {
    let entry: RegistryEntry | null;
    try {
      entry = await this.find(idOrPrefix);
    } catch (error) {
      return this.refuse(idOrPrefix, by, from, `model ${idOrPrefix} cannot be read: ${(error as Error).message}`);
    }
    if (entry === null) throw new RegistryError(`no model ${idOrPrefix} in ${this.modelsDir} (list them with \`wick model list\`)`, 'NOT_FOUND');
    try {
      await this.options.verify(entry.dir, entry.manifest);
    } catch (error) {
      return this.refuse(entry.id, by, from, `model ${entry.id} is refused: ${(error as Error).message}`);
    }
    return entry;
  }

  private async refuse(id: string, by: string, from: string | null, message: string): Promise<never> {
    await this.record({ at: this.iso(), action: 'refused', id, from, by, reason: message });
    throw new RegistryError(`${message}\nThe champion${from === null ? '' : ` (${from})`} is unchanged.`, 'INVALID_MODEL');
  }

  private async writePointer(pointer: ChampionPointer): Promise<void> {
    const tmp = `${this.championPath}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      const handle = await open(tmp, 'w');
      try {
        await handle.writeFile(`${JSON.stringify(pointer, null, 2)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, this.championPath);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Records a trainer outcome (a rejected challenger, a failed retraining) in the history. */
  async note(action: 'rejected' | 'failed', id: string, by: string, reason: string): Promise<void> {
    await this.record({ at: this.iso(), action, id, from: (await this.champion())?.id ?? null, by, reason });
  }

  private async record(entry: HistoryEntry): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await appendFile(join(this.root, 'history.jsonl'), `${JSON.stringify(entry)}\n`);
  }

  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    await mkdir(this.root, { recursive: true });
    const lock = join(this.root, '.lock');
    const staleMs = 120_000;
    try {
      const info = await stat(lock);
      if (this.options.nowMs() - info.mtimeMs > staleMs) await rm(lock, { force: true });
    } catch {
      // no lock
    }
    let handle;
    try {
      handle = await open(lock, 'wx');
    } catch {
      throw new RegistryError(`another promotion or rollback holds ${lock}; try again in a moment (remove the file if no wick process is running)`, 'BUSY');
    }
    await handle.close();
    try {
      return await fn();
    } finally {
      await rm(lock, { force: true });
    }
  }
}

/** Reads and checks a model folder's manifest and ONNX hash (no onnxruntime). */
export async function readFolder(dir: string): Promise<{ manifest: ModelManifest; manifestText: string; onnx: Uint8Array }> {
  let manifestText: string;
  try {
    manifestText = await readFile(join(dir, 'manifest.json'), 'utf8');
  } catch {
    throw new ModelMismatchError(`no manifest.json in ${dir}: a model folder holds model.onnx and manifest.json`);
  }
  const parsed = parseManifest(manifestText, join(dir, 'manifest.json'));
  if (!parsed.ok) throw new ModelMismatchError(parsed.message);
  let onnx: Buffer;
  try {
    onnx = await readFile(join(dir, parsed.manifest.onnx.file));
  } catch {
    throw new ModelMismatchError(`no ${parsed.manifest.onnx.file} in ${dir}`);
  }
  const digest = createHash('sha256').update(onnx).digest('hex');
  if (digest !== parsed.manifest.onnx.sha256)
    throw new ModelMismatchError(
      `${join(dir, parsed.manifest.onnx.file)} does not match its manifest (sha256 ${digest.slice(0, 12)}…, manifest says ${parsed.manifest.onnx.sha256.slice(0, 12)}…): the file is truncated or changed`,
    );
  return { manifest: parsed.manifest, manifestText, onnx: new Uint8Array(onnx.buffer, onnx.byteOffset, onnx.byteLength) };
}

/**
 * The promotion check: loads the folder as the daemon would (manifest, hash, spec this build
 * computes, onnxruntime session, a warm-up run) and releases it.
 */
export function loadingVerifier(logger: Logger): ModelVerifier {
  return async (dir) => {
    const model = await OnnxSignalModel.load(dir, { executionProvider: 'cpu', cudaStrict: false, logger });
    await model.close();
  };
}
