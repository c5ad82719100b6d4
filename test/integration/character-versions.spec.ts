import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { CharacterEntity } from '../../backend/src/characters/character.entity.js';
import { parseCharacterFile } from '../../backend/src/characters/character-definition.js';
import { CharacterVersionEntity } from '../../backend/src/characters/character-version.entity.js';
import { CharactersRepository } from '../../backend/src/characters/characters.repository.js';
import { dataSourceOptions } from '../../backend/src/database/data-source.js';
import { testDatabaseTargets, type TestDatabase } from '../support/databases.js';

describe.each(testDatabaseTargets())('character versions on $name', ({ create }) => {
  let db: TestDatabase;
  let ds: DataSource;
  let repo: CharactersRepository;

  beforeAll(async () => {
    db = await create();
    ds = new DataSource(dataSourceOptions(db.config));
    await ds.initialize();
    repo = new CharactersRepository(ds.getRepository(CharacterEntity), ds.getRepository(CharacterVersionEntity));
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('numbers versions per character, skips unchanged content, keeps history after removal', async () => {
    const v1 = '---\nname: Ada\n---\nFirst.\n';
    const v2 = '---\nname: Ada\n---\nSecond.\n';
    const d1 = parseCharacterFile('ada.md', 'ada', v1);
    const d2 = parseCharacterFile('ada.md', 'ada', v2);
    expect(await repo.upsert(d1, 'file')).toBe(true);
    expect((await repo.addVersion('ada', v1, d1.contentHash, 'file', 1_700_000_000_000)).version).toBe(1);
    expect((await repo.addVersion('ada', v1, d1.contentHash, 'file', 1_700_000_000_001)).version).toBe(1);
    expect(await repo.upsert(d2, 'api')).toBe(true);
    expect((await repo.addVersion('ada', v2, d2.contentHash, 'api', 1_700_000_000_002)).version).toBe(2);
    expect((await repo.addVersion('bo', v1, d1.contentHash, 'api', 1_700_000_000_003)).version).toBe(1);

    const versions = await repo.versions('ada');
    expect(versions.map((v) => [v.version, v.source, v.content])).toEqual([
      [2, 'api', v2],
      [1, 'file', v1],
    ]);
    expect(typeof versions[0].createdAt).toBe('number');
    expect(versions[0].createdAt).toBe(1_700_000_000_002);

    await repo.remove('ada');
    expect((await repo.findAll()).map((c) => c.id)).toEqual([]);
    expect((await repo.version('ada', 1))?.contentHash).toBe(d1.contentHash);
  });
});
