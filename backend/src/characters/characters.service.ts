import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { CharacterFileError, parseCharacterFile, type CharacterDefinition } from './character-definition.js';
import { CharactersRepository } from './characters.repository.js';

export interface CharacterLoadProblem {
  path: string;
  field: string;
  line: number | null;
  message: string;
}

/**
 * The live set of characters, loaded from `prompts/characters/*.md`. A file that fails
 * validation is reported with its path and field, and the last good version stays live.
 */
@Injectable()
export class CharactersService {
  private readonly logger = new Logger(CharactersService.name);
  private readonly characters = new Map<string, CharacterDefinition>();
  private problems: CharacterLoadProblem[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly repository: CharactersRepository,
  ) {}

  get directory(): string {
    return join(this.config.promptsDir, 'characters');
  }

  /** Reads every character file; keeps the previous version of any file that fails. */
  async loadAll(): Promise<void> {
    let files: string[];
    try {
      files = (await readdir(this.directory)).filter((f) => f.endsWith('.md')).sort();
    } catch (error) {
      this.logger.warn(`No character directory at ${this.directory}: ${(error as Error).message}`);
      files = [];
    }
    const problems: CharacterLoadProblem[] = [];
    for (const file of files) {
      const path = join(this.directory, file);
      try {
        const definition = parseCharacterFile(path, file.slice(0, -'.md'.length), await readFile(path, 'utf8'));
        this.characters.set(definition.id, definition);
        await this.repository.upsert(definition, 'file');
      } catch (error) {
        if (!(error instanceof CharacterFileError)) throw error;
        problems.push({ path: error.path, field: error.field, line: error.line, message: error.message });
        const kept = this.characters.has(file.slice(0, -3)) ? 'the last valid version stays in use' : 'the character is not loaded';
        this.logger.error(`${error.message} (${kept})`);
      }
    }
    this.problems = problems;
    this.logger.log(`Loaded ${this.characters.size} characters from ${this.directory}`);
  }

  list(): CharacterDefinition[] {
    return [...this.characters.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  find(id: string): CharacterDefinition | undefined {
    return this.characters.get(id);
  }

  get(id: string): CharacterDefinition {
    const character = this.characters.get(id);
    if (!character) throw new NotFoundException(`Character ${id} not found`);
    return character;
  }

  loadProblems(): readonly CharacterLoadProblem[] {
    return this.problems;
  }
}
