import { randomBytes } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  ConflictException,
  Injectable,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
  type OnApplicationShutdown,
  type OnModuleInit,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ChatModelFactory } from '../agents/model-factory.js';
import { stripControlCharacters } from '../common/text-hygiene.js';
import { Subject, type Observable } from 'rxjs';
import { AppConfig } from '../config/app-config.js';
import {
  CHARACTER_ID_PATTERN,
  CharacterFileError,
  contentHashOf,
  parseCharacterFile,
  serializeCharacterFile,
  type CharacterDefinition,
  type CharacterSource,
} from './character-definition.js';
import type { CharacterVersionEntity, CharacterVersionSource } from './character-version.entity.js';
import { CharactersRepository } from './characters.repository.js';

export interface CharacterLoadProblem {
  path: string;
  field: string;
  line: number | null;
  message: string;
}

/** What changed in the live set of characters; scenes apply it at the next tick. */
export type CharacterChange =
  | { type: 'added'; id: string; definition: CharacterDefinition }
  | { type: 'updated'; id: string; definition: CharacterDefinition; previous: CharacterDefinition }
  | { type: 'removed'; id: string; previous: CharacterDefinition };

/**
 * Editors save in bursts (truncate + write, or write a temp file and rename it over the
 * original): events for one file are gathered for this long before it is read again.
 */
export const WATCH_DEBOUNCE_MS = 120;

/** A character whose id has no file: 404. */
function notFound(id: string): NotFoundException {
  return new NotFoundException(`Character ${id} not found`);
}

/**
 * The live set of characters, from `prompts/characters/*.md`. A file that fails
 * validation is reported with its path and field, and the last good version stays live.
 * Files are watched: an edit on disk or through the API is live at the character's next
 * turn (the scene runner looks the definition up for every line), without a restart.
 * Every accepted version is recorded in the database.
 */
@Injectable()
export class CharactersService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CharactersService.name);
  private readonly characters = new Map<string, CharacterDefinition>();
  /** Problems by file path; a good version of the file clears its entry. */
  private readonly problems = new Map<string, CharacterLoadProblem>();
  private readonly changes = new Subject<CharacterChange>();
  private watcher: FSWatcher | null = null;
  private readonly pending = new Map<string, NodeJS.Timeout>();
  /** One file operation at a time: watcher reloads and API writes never interleave. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly config: AppConfig,
    private readonly repository: CharactersRepository,
    private readonly models: ChatModelFactory,
  ) {}

  get directory(): string {
    return join(this.config.promptsDir, 'characters');
  }

  get changes$(): Observable<CharacterChange> {
    return this.changes.asObservable();
  }

  pathOf(id: string): string {
    return join(this.directory, `${id}.md`);
  }

  /**
   * Reads every character file; keeps the previous version of any file that fails. One
   * bad file never stops a boot: whatever goes wrong with it (validation, reading, the
   * database refusing it) is reported with its path and the file is skipped.
   */
  /** At boot: every prompt file, and a warning for each character whose own model cannot be used. */
  async onModuleInit(): Promise<void> {
    await this.loadAll();
    await this.checkModels();
  }

  /** Once every module is up (and has subscribed to `changes$`): follow edits on disk. */
  async onApplicationBootstrap(): Promise<void> {
    await this.watch();
  }

  async loadAll(): Promise<void> {
    await this.serial(async () => {
      for (const file of await this.files()) {
        const id = file.slice(0, -'.md'.length);
        try {
          await this.applyFile(id, 'file');
        } catch (error) {
          const path = this.pathOf(id);
          const message = `${path}: cannot be loaded: ${(error as Error).message.split('\n')[0]}`;
          this.problems.set(path, { path, field: 'file', line: null, message });
          this.logger.error(`${message} (skipped; the other characters load)`);
        }
      }
    });
    this.logger.log(`Loaded ${this.characters.size} characters from ${this.directory}`);
  }

  /**
   * At boot: a character whose `model:` cannot be used (a provider package or key missing)
   * speaks with the default model, with a warning, instead of stopping the service.
   */
  async checkModels(): Promise<void> {
    for (const character of this.list()) {
      if (!character.model) continue;
      const problem = await this.models.check(character.model);
      if (problem)
        this.logger.warn(
          `${this.pathOf(character.id)}: model ${character.model} cannot be used (${problem}); ${character.id} speaks with ${this.config.llm.model} until it is fixed`,
        );
    }
  }

  /**
   * Starts watching the directory. fs.watch reports a file name per event; the file is
   * re-read after WATCH_DEBOUNCE_MS of quiet, so a rename-on-save (delete + create) is
   * seen as one edit, not as a character leaving and coming back.
   */
  async watch(): Promise<void> {
    if (this.watcher) return;
    await mkdir(this.directory, { recursive: true });
    try {
      this.watcher = watch(this.directory, { persistent: false }, (_event, filename) => {
        if (filename) this.scheduleReload(basename(filename.toString()));
        // Some platforms give no name: rescan everything.
        else for (const id of this.characters.keys()) this.scheduleReload(`${id}.md`);
      });
      this.watcher.on('error', (error) => this.logger.warn(`Watching ${this.directory} failed: ${error.message}`));
    } catch (error) {
      this.logger.warn(`Cannot watch ${this.directory}: ${(error as Error).message}; edits apply at the next restart`);
    }
  }

  onApplicationShutdown(): void {
    this.watcher?.close();
    this.watcher = null;
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    this.changes.complete();
  }

  private scheduleReload(file: string): void {
    // Dot files are editors' swap files and our own temporaries, never characters.
    if (!file.endsWith('.md') || file.startsWith('.')) return;
    const id = file.slice(0, -'.md'.length);
    clearTimeout(this.pending.get(id));
    this.pending.set(
      id,
      setTimeout(() => {
        this.pending.delete(id);
        void this.serial(() => this.applyFile(id, 'file')).catch((error: unknown) =>
          this.logger.error(`Reloading ${file} failed: ${(error as Error).message}`),
        );
      }, WATCH_DEBOUNCE_MS),
    );
  }

  /**
   * Brings one file's state into the live set: a new valid file adds the character, a
   * changed one updates it, a missing one removes it, a broken one keeps the last good
   * version and records the problem.
   */
  private async applyFile(id: string, source: CharacterVersionSource): Promise<CharacterDefinition | undefined> {
    const path = this.pathOf(id);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      this.problems.delete(path);
      await this.removeLive(id);
      return undefined;
    }
    const previous = this.characters.get(id);
    if (previous && previous.contentHash === contentHashOf(text)) {
      this.problems.delete(path);
      return previous;
    }
    let definition: CharacterDefinition;
    try {
      definition = parseCharacterFile(path, id, text);
    } catch (error) {
      if (!(error instanceof CharacterFileError)) throw error;
      this.problems.set(path, { path: error.path, field: error.field, line: error.line, message: error.message });
      this.logger.error(
        `${error.message} (${previous ? 'the last valid version stays in use' : 'the character is not loaded'})`,
      );
      return previous;
    }
    // The database first: a definition it refuses never goes live (and an API write undoes its file).
    await this.repository.upsert(definition, source);
    await this.repository.addVersion(
      id,
      stripControlCharacters(text, { multiline: true }),
      definition.contentHash,
      source,
      Date.now(),
    );
    this.problems.delete(path);
    this.characters.set(id, definition);
    if (source === 'file' && definition.model && definition.model !== previous?.model)
      void this.warnIfUnusable(definition);
    if (previous) {
      this.logger.log(`Character ${id} updated from ${source === 'file' ? path : 'the API'}`);
      this.changes.next({ type: 'updated', id, definition, previous });
    } else {
      this.logger.log(`Character ${id} added from ${source === 'file' ? path : 'the API'}`);
      this.changes.next({ type: 'added', id, definition });
    }
    return definition;
  }

  private async warnIfUnusable(definition: CharacterDefinition): Promise<void> {
    const problem = definition.model ? await this.models.check(definition.model) : null;
    if (problem)
      this.logger.warn(
        `${this.pathOf(definition.id)}: model ${definition.model} cannot be used (${problem}); ${definition.id} speaks with ${this.config.llm.model} until it is fixed`,
      );
  }

  private async removeLive(id: string): Promise<void> {
    const previous = this.characters.get(id);
    if (!previous) return;
    await this.repository.remove(id);
    this.characters.delete(id);
    this.logger.log(`Character ${id} removed (its file is gone)`);
    this.changes.next({ type: 'removed', id, previous });
  }

  private async files(): Promise<string[]> {
    try {
      return (await readdir(this.directory)).filter((f) => f.endsWith('.md') && !f.startsWith('.')).sort();
    } catch (error) {
      this.logger.warn(`No character directory at ${this.directory}: ${(error as Error).message}`);
      return [];
    }
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  // ---- writes (API) ---------------------------------------------------------------------

  /**
   * Validates, then writes the file atomically (a temporary file renamed over the old
   * one, so neither the watcher nor a crash ever sees half a file) and records the
   * version. `ifMatch` is the content hash the writer last saw: a stale one is a 409.
   */
  async write(
    id: string,
    source: CharacterSource,
    options: { create?: boolean; ifMatch?: string | null } = {},
  ): Promise<CharacterDefinition> {
    if (!CHARACTER_ID_PATTERN.test(id))
      throw new CharacterFileError(this.pathOf(id), 'id', 'must be lowercase letters, digits, - or _ (at most 64)');
    return this.writeText(id, serializeCharacterFile(source), options);
  }

  /**
   * Writes a whole file's text (restores use the stored text verbatim). The file and the
   * database change together or not at all: when the database refuses the new version,
   * the previous file is put back (or the new one removed) before the error is returned.
   * A `model:` is checked as boot would check it, so a write cannot break the next start.
   */
  async writeText(
    id: string,
    text: string,
    options: { create?: boolean; ifMatch?: string | null; mustExist?: boolean } = {},
  ): Promise<CharacterDefinition> {
    const path = this.pathOf(id);
    // Parsed before anything is touched: a bad write changes nothing.
    const definition = parseCharacterFile(path, id, text);
    await this.assertUsableModel(definition);
    return this.serial(async () => {
      const current = this.characters.get(id);
      if (options.create && current) throw new ConflictException(`Character ${id} already exists`);
      if (options.mustExist && !current) throw notFound(id);
      if (options.ifMatch && current?.contentHash !== options.ifMatch) {
        throw new ConflictException(
          `Character ${id} changed since you loaded it (If-Match ${options.ifMatch} is stale; current ${current?.contentHash ?? 'none'})`,
        );
      }
      const before = await this.readIfExists(path);
      await this.replaceFile(id, text);
      try {
        const applied = await this.applyFile(id, 'api');
        return applied ?? definition;
      } catch (error) {
        await this.undoFile(id, before);
        this.logger.error(
          `Character ${id}: the database refused the write, the file is back as it was: ${errorLine(error)}`,
        );
        throw new ServiceUnavailableException(`Character ${id} could not be stored; nothing was changed. Try again.`);
      }
    });
  }

  /** A `model:` that cannot be used here is a 400 naming `model` and the cause. */
  async assertUsableModel(definition: CharacterDefinition): Promise<void> {
    if (!definition.model) return;
    const problem = await this.models.check(definition.model);
    if (problem)
      throw new CharacterFileError(
        this.pathOf(definition.id),
        'model',
        `model ${definition.model} cannot be used: ${problem}`,
      );
  }

  /** Deletes the file; scenes let the character leave. Versions stay in the database. */
  async remove(id: string, ifMatch?: string | null): Promise<void> {
    await this.serial(async () => {
      const current = this.characters.get(id);
      if (!current) throw notFound(id);
      if (ifMatch && current.contentHash !== ifMatch)
        throw new ConflictException(`Character ${id} changed since you loaded it (If-Match is stale)`);
      const path = this.pathOf(id);
      const before = await this.readIfExists(path);
      try {
        await rm(path, { force: true });
      } catch (error) {
        throw this.unwritable(error);
      }
      try {
        await this.removeLive(id);
      } catch (error) {
        await this.undoFile(id, before);
        this.logger.error(`Character ${id}: the database refused the delete, the file is back: ${errorLine(error)}`);
        throw new ServiceUnavailableException(`Character ${id} could not be deleted; nothing was changed. Try again.`);
      }
      this.problems.delete(path);
    });
  }

  private async readIfExists(path: string): Promise<string | null> {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw this.unwritable(error);
    }
  }

  /** Temp file + rename: the watcher and a crash see the old file or the new one, never half. */
  private async replaceFile(id: string, text: string): Promise<void> {
    const temp = join(this.directory, `.${id}.md.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await mkdir(this.directory, { recursive: true });
      await writeFile(temp, text, 'utf8');
      await rename(temp, this.pathOf(id));
    } catch (error) {
      throw this.unwritable(error);
    } finally {
      await rm(temp, { force: true }).catch(() => undefined);
    }
  }

  private async undoFile(id: string, before: string | null): Promise<void> {
    try {
      if (before === null) await rm(this.pathOf(id), { force: true });
      else await this.replaceFile(id, before);
    } catch (error) {
      this.logger.error(`Character ${id}: could not put the previous file back: ${errorLine(error)}`);
    }
  }

  /** A directory we cannot write is the operator's to fix: 503 naming it, not a bare 500. */
  private unwritable(error: unknown): unknown {
    const code = (error as NodeJS.ErrnoException).code;
    if (!code || !['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'ENOTDIR'].includes(code)) return error;
    this.logger.error(`Cannot write character files in ${this.directory}: ${errorLine(error)}`);
    return new ServiceUnavailableException(
      `Cannot write character files in ${this.directory} (${code}): the directory is read-only, full or not writable by the server; nothing was changed`,
    );
  }

  async versions(id: string): Promise<CharacterVersionEntity[]> {
    const versions = await this.repository.versions(id);
    if (versions.length === 0 && !this.characters.has(id)) throw notFound(id);
    return versions;
  }

  /** Makes an old version current again by writing it as a new version (history only grows). */
  async restore(id: string, version: number, ifMatch?: string | null): Promise<CharacterDefinition> {
    const stored = await this.repository.version(id, version);
    if (!stored) throw new NotFoundException(`Character ${id} has no version ${version}`);
    return this.writeText(id, stored.content, { ifMatch });
  }

  // ---- reads ------------------------------------------------------------------------------

  list(): CharacterDefinition[] {
    return [...this.characters.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  find(id: string): CharacterDefinition | undefined {
    return this.characters.get(id);
  }

  get(id: string): CharacterDefinition {
    const character = this.characters.get(id);
    if (!character) throw notFound(id);
    return character;
  }

  loadProblems(): CharacterLoadProblem[] {
    return [...this.problems.values()];
  }
}

function errorLine(error: unknown): string {
  return ((error as Error)?.message ?? String(error)).split('\n')[0];
}
