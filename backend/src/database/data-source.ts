import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { CharacterEntity } from '../characters/character.entity.js';
import { CharacterVersionEntity } from '../characters/character-version.entity.js';
import { ConversationEntity } from '../conversations/conversation.entity.js';
import { LineEntity } from '../conversations/line.entity.js';
import { SceneEntity } from '../scenes/scene.entity.js';
import type { DatabaseConfig } from '../config/app-config.js';
import { InitialSchema1763900000000 } from './migrations/1763900000000-initial-schema.js';
import { CharacterVersions1764100000000 } from './migrations/1764100000000-character-versions.js';

export const ENTITIES = [SceneEntity, CharacterEntity, CharacterVersionEntity, ConversationEntity, LineEntity];
/** In order. Listed, not globbed: the app is ESM and globs would load test files too. */
export const MIGRATIONS = [InitialSchema1763900000000, CharacterVersions1764100000000];

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
