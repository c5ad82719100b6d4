import { join } from 'node:path';
import pg from 'pg';
import type { DatabaseConfig } from '../../backend/src/config/app-config.js';
import { tempDir } from './app.js';

export interface TestDatabase {
  name: string;
  config: DatabaseConfig;
  drop(): Promise<void>;
}

/** The databases persistence tests run on: always a SQLite file, and PostgreSQL when DATABASE_URL is one. */
export function testDatabaseTargets(): { name: string; create: () => Promise<TestDatabase> }[] {
  const targets = [
    {
      name: 'sqlite',
      create: async (): Promise<TestDatabase> => ({
        name: 'sqlite',
        config: { type: 'sqlite', path: join(tempDir(), 'test.sqlite') },
        drop: async () => {},
      }),
    },
  ];
  const url = process.env.DATABASE_URL;
  if (url && /^postgres(ql)?:\/\//.test(url))
    targets.push({ name: 'postgres', create: () => createPostgresDatabase(url) });
  return targets;
}

/** A fresh database on the server DATABASE_URL points at, dropped afterwards. */
export async function createPostgresDatabase(adminUrl: string): Promise<TestDatabase> {
  const name = `pixeltales_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name: 'postgres',
    config: { type: 'postgres', url: url.toString() },
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
    },
  };
}
