import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { CharacterEntity } from '../characters/character.entity.js';
import { CharacterVersionEntity } from '../characters/character-version.entity.js';
import { ConversationEntity } from '../conversations/conversation.entity.js';
import { LineEntity } from '../conversations/line.entity.js';
import { SceneEntity } from '../scenes/scene.entity.js';
import type { DatabaseConfig } from '../config/app-config.js';
import { InitialSchema1763900000000 } from './migrations/1763900000000-initial-schema.js';
import { CharacterVersions1764100000000 } from './migrations/1764100000000-character-versions.js';
import { ForeignKeys1764300000000 } from './migrations/1764300000000-foreign-keys.js';

export const ENTITIES = [SceneEntity, CharacterEntity, CharacterVersionEntity, ConversationEntity, LineEntity];
/** In order. Listed, not globbed: the app is ESM and globs would load test files too. */
export const MIGRATIONS = [InitialSchema1763900000000, CharacterVersions1764100000000, ForeignKeys1764300000000];

/** The one place that turns DATABASE_URL into TypeORM options; schema only through migrations. */
export function dataSourceOptions(database: DatabaseConfig): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: true,
    synchronize: false,
    logging: false,
  } as const;
  if (database.type === 'sqlite') {
    if (database.path !== ':memory:') mkdirSync(dirname(database.path), { recursive: true });
    // WAL: readers (the REST API) never block the tick's writes, and a kill -9 loses no commit.
    return { ...common, type: 'better-sqlite3', database: database.path, enableWAL: true };
  }
  return { ...common, type: 'postgres', url: database.url };
}

/** The database could not be opened: the message names the file or server, and says why. */
export class DatabaseOpenError extends Error {
  override name = 'DatabaseOpenError';
}

/**
 * Opens the data source (and runs migrations). A SQLite file is local: if it cannot be
 * opened (corrupt, read-only, a directory) retrying will not help, so boot fails at once
 * with its path; a PostgreSQL server may still be starting, so Nest's retries apply there.
 */
export async function openDataSource(options: DataSourceOptions): Promise<DataSource> {
  try {
    return await new DataSource(options).initialize();
  } catch (error) {
    const cause = ((error as Error)?.message ?? String(error)).split('\n')[0];
    if (options.type === 'better-sqlite3')
      throw new DatabaseOpenError(
        `Cannot open the SQLite database ${options.database}: ${cause} (is the file corrupt, read-only or not the server's to write?)`,
      );
    throw error;
  }
}

/** Retries when opening the database: none for a local SQLite file, Nest's default for a server. */
export function connectRetries(database: DatabaseConfig): { retryAttempts?: number } {
  return database.type === 'sqlite' ? { retryAttempts: 0 } : {};
}
