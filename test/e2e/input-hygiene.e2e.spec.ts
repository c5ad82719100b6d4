import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CharacterData } from '../../backend/src/contract/events.js';
import { startApp, waitFor, json, type RunningApp } from '../support/app.js';
import { copyPrompts } from '../support/prompts.js';
import { RecordingClient } from '../support/socket.js';

const TOKEN = 'hygiene-suite-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const JSON_AUTH = { ...AUTH, 'content-type': 'application/json' };

/** Security and input hygiene (issue 12): names, free text, files, cards, personas, model checks. */
describe('input hygiene', () => {
  let running: RunningApp;
  let prompts: string;
  const api = (path: string) => `${running.url}/api${path}`;
  const file = (id: string) => join(prompts, 'characters', `${id}.md`);
  const post = (path: string, body: unknown, headers: Record<string, string> = JSON_AUTH) =>
    fetch(api(path), { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const put = (path: string, body: unknown) =>
    fetch(api(path), { method: 'PUT', headers: JSON_AUTH, body: JSON.stringify(body) });
  const problems = async () =>
    (await json<{ path: string; field: string; message: string }[]>(
      await fetch(api('/character-problems'), { headers: AUTH }),
    )) ?? [];

  beforeAll(async () => {
    prompts = copyPrompts();
    running = await startApp({ env: { AUTHOR_TOKEN: TOKEN, PROMPTS_DIR: prompts } });
  });
  afterAll(async () => {
    chmodSync(join(prompts, 'characters'), 0o755);
    await running?.close();
  });

  describe('item 1: NUL and other control characters', () => {
    it('refuses a NUL in a name with a 400 naming the field, writes nothing, and a retry is not a 409', async () => {
      const res = await post('/characters', { id: 'nulname', name: 'Nul\u0000Name' });
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toMatch(/name must not contain control characters/);
      expect(existsSync(file('nulname'))).toBe(false);
      expect((await fetch(api('/characters/nulname'))).status).toBe(404);
      const retry = await post('/characters', { id: 'nulname', name: 'Nul Name' });
      expect(retry.status).toBe(201);
      expect((await json<unknown[]>(await fetch(api('/characters/nulname/versions'), { headers: AUTH }))).length).toBe(
        1,
      );
    });

    it('refuses C0/C1 controls and line breaks in names, homes and place names, naming each', async () => {
      for (const [body, field] of [
        [{ id: 'c1name', name: 'Esc\u009b[31m' }, 'name'],
        [{ id: 'nlname', name: 'Otto\n## system' }, 'name'],
        [{ id: 'bellhome', name: 'Bell', home: 'the \u0007 bakery' }, 'home'],
      ] as const) {
        const res = await post('/characters', body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(JSON.stringify(await res.json())).toContain(field);
        expect(existsSync(file(body.id))).toBe(false);
      }
      const scene = await post('/scenes', {
        id: 'nulscene',
        name: 'Nul\u0000Scene',
        map: ['#####', '#...#', '#####'],
        cast: [],
      });
      expect(scene.status).toBe(400);
      expect(JSON.stringify(await scene.json())).toMatch(/name must not contain control characters/);
      const place = await post('/scenes', {
        id: 'nulplace',
        name: 'Nul place',
        map: ['#####', '#...#', '#####'],
        places: { 'well\u0000': [1, 1] },
        cast: [],
      });
      expect(place.status).toBe(400);
      expect(JSON.stringify(await place.json())).toContain('places.well\\\\u0000');
    });

    it('strips controls from free text (persona, traits, voice, scene descriptions) and keeps the rest', async () => {
      const res = await post('/characters', {
        id: 'stripped',
        name: 'Stripped',
        persona: 'Line one\u0000 and\u0007 more.\r\nLine two.',
        traits: ['kind\u0000ly'],
        voice: ['Hel\u0000lo there.'],
        card: { creator_notes: 'notes\u0000here' },
      });
      expect(res.status).toBe(201);
      const def = await json<CharacterData>(await fetch(api('/characters/stripped'), { headers: AUTH }));
      expect(def.persona).toBe('Line one and more.\nLine two.');
      expect(def.traits).toEqual(['kindly']);
      expect(def.voice).toEqual(['Hello there.']);
      expect(def.card).toEqual({ creator_notes: 'noteshere' });
      // eslint-disable-next-line no-control-regex -- control characters are what this test looks for
      expect(readFileSync(file('stripped'), 'utf8')).not.toMatch(/[\u0000-\u0008\u007f-\u009f]|\\0|\\x/);

      const scene = await post('/scenes', {
        id: 'ctrlscene',
        name: 'Control scene',
        description: 'A quiet\u0000 square.',
        map: ['#####', '#...#', '#####'],
        cast: [],
      });
      expect(scene.status).toBe(201);
      expect((await json<{ id: string }>(scene)).id).toBe('ctrlscene');
      const summary = (await json<{ id: string; description: string }[]>(await fetch(api('/scenes')))).find(
        (s) => s.id === 'ctrlscene',
      );
      expect(summary?.description).toBe('A quiet square.');
    });

    it('checks files as it checks the API: a NUL name is reported with its path, a NUL in the persona is stripped', async () => {
      writeFileSync(file('filenul'), '---\nname: "File\\0Nul"\n---\nPersona.\n');
      writeFileSync(file('fileprose'), '---\nname: File Prose\n---\nPersona\u0000 with a NUL.\n');
      const problem = await waitFor(
        async () => (await problems()).find((p) => p.path.endsWith('filenul.md')),
        3_000,
        'the NUL name reported',
      );
      expect(problem.field).toBe('name');
      expect(problem.message).toMatch(/control characters/);
      const prose = await waitFor(
        async () => {
          const res = await fetch(api('/characters/fileprose'), { headers: AUTH });
          return res.status === 200 ? json<CharacterData>(res) : undefined;
        },
        3_000,
        'the file with a NUL in its persona loaded',
      );
      expect(prose.persona).toBe('Persona with a NUL.');
    });

    it('card imports: a NUL in the name is a 400 naming it, in the greeting it is stripped', async () => {
      const card = (data: Record<string, string>) => ({
        spec: 'chara_card_v2',
        spec_version: '2.0',
        data: { name: 'Carded', description: 'A card.', ...data },
      });
      const bad = await post('/character-cards?id=cardnul', card({ name: 'Card\u0000Nul' }));
      expect(bad.status).toBe(400);
      expect(JSON.stringify(await bad.json())).toMatch(/name/);
      expect(existsSync(file('cardnul'))).toBe(false);
      const good = await post('/character-cards?id=cardok', card({ first_mes: 'Ahoy\u0000 there.' }));
      expect(good.status).toBe(201);
      expect((await json<CharacterData>(good)).voice).toEqual(['Ahoy there.']);
    });

    it('socket payloads with controls get a clear error ack and the socket stays up', async () => {
      const client = new RecordingClient(running.url);
      await client.connected();
      const ack = (await client.emitRaw('scene:join', { sceneId: 'town\u0000square' })) as {
        ok: boolean;
        error: { code: string };
      };
      expect(ack.ok).toBe(false);
      expect(ack.error.code).toBe('BAD_REQUEST');
      expect((await client.join('town-square')).ok).toBe(true);
      client.close();
    });

    it('a file write and its database write succeed or fail together', async () => {
      const ds = running.app.get(DataSource);
      await ds.query(
        `CREATE TRIGGER refuse_doomed BEFORE INSERT ON character_versions WHEN NEW.characterId IN ('doomed', 'otto')
         BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`,
      );
      try {
        const created = await post('/characters', { id: 'doomed', name: 'Doomed' });
        expect(created.status).toBe(503);
        expect(existsSync(file('doomed'))).toBe(false);
        expect((await fetch(api('/characters/doomed'))).status).toBe(404);

        const before = readFileSync(file('otto'), 'utf8');
        const live = await json<CharacterData>(await fetch(api('/characters/otto'), { headers: AUTH }));
        const changed = await put('/characters/otto', { name: 'Otto', persona: 'A changed man.' });
        expect(changed.status).toBe(503);
        expect(readFileSync(file('otto'), 'utf8')).toBe(before);
        expect((await json<CharacterData>(await fetch(api('/characters/otto'), { headers: AUTH }))).persona).toBe(
          live.persona,
        );
      } finally {
        await ds.query('DROP TRIGGER refuse_doomed');
      }
      // Nothing was left behind: the same create now works, not a 409.
      expect((await post('/characters', { id: 'doomed', name: 'Doomed' })).status).toBe(201);
    });
  });

  describe("item 2: a character's model is checked when written", () => {
    it('refuses a model whose provider package is missing with a 400 naming model and the cause', async () => {
      const res = await put('/characters/mara', { name: 'Mara', model: 'groq:llama-3.1-8b-instant' });
      expect(res.status).toBe(400);
      const body = await json<{ field: string; message: string[] }>(res);
      expect(body.field).toBe('model');
      expect(body.message.join(' ')).toMatch(/@langchain\/groq/);
      expect(readFileSync(file('mara'), 'utf8')).not.toContain('groq');
      const draft = await post('/characters/mara/preview', { draft: { name: 'Mara', model: 'groq:llama-3.1-8b' } });
      expect(draft.status).toBe(400);
      expect((await json<{ field: string }>(draft)).field).toBe('model');
    });

    it('at boot, a character whose model cannot be used speaks with the default model instead', async () => {
      const own = copyPrompts();
      writeFileSync(
        join(own, 'characters', 'groqqy.md'),
        '---\nname: Groqqy\nmodel: groq:llama-3.1-8b-instant\n---\nGroqqy talks fast.\n',
      );
      const app = await startApp({ env: { AUTHOR_TOKEN: TOKEN, PROMPTS_DIR: own } });
      try {
        expect((await fetch(`${app.url}/api/characters/groqqy`)).status).toBe(200);
        const res = await fetch(`${app.url}/api/characters/groqqy/preview`, {
          method: 'POST',
          headers: JSON_AUTH,
          body: '{}',
        });
        expect(res.status).toBe(200);
        expect((await json<{ model: string }>(res)).model).toBe('offline:storyteller');
      } finally {
        await app.close();
      }
    });
  });

  describe('item 3: personas are private', () => {
    const PUBLIC_KEYS = ['bio', 'home', 'id', 'name', 'sprite', 'topics', 'traits'];

    it('without the token, character routes give the public view only', async () => {
      const one = await fetch(api('/characters/mara'));
      expect(one.status).toBe(200);
      const text = await one.clone().text();
      expect(Object.keys(await json<object>(one)).sort()).toEqual(PUBLIC_KEYS);
      expect(text).not.toMatch(/Her secret|persona|voice|system_prompt|creator_notes|contentHash/i);
      // Express's own weak ETag of the body is fine; the file's content hash is for authors.
      expect(one.headers.get('etag') ?? '').not.toMatch(/^"[0-9a-f]{64}"$/);
      expect(one.headers.get('vary')).toMatch(/authorization/i);
      const list = await json<Record<string, unknown>[]>(await fetch(api('/characters')));
      expect(list.length).toBeGreaterThan(3);
      for (const c of list) expect(Object.keys(c).sort()).toEqual(PUBLIC_KEYS);
      // The personas' "Her secret: …" / "His secret: …" paragraphs stay private.
      expect(JSON.stringify(list)).not.toMatch(/(Her|His) secret/);
      // Card exports are author-only too.
      expect((await fetch(api('/characters/mara/card'))).status).toBe(401);
      expect((await fetch(api('/characters/mara/card.png'))).status).toBe(401);
    });

    it('with the token, the full definition, which PUTs back unchanged; a wrong token is a 401', async () => {
      const res = await fetch(api('/characters/mara'), { headers: AUTH });
      const full = await json<CharacterData>(res);
      expect(full.persona).toMatch(/Her secret/);
      expect(res.headers.get('cache-control')).toMatch(/no-store/);
      const body: Partial<CharacterData> = { ...full };
      delete body.id;
      delete body.contentHash;
      const back = await fetch(api('/characters/mara'), {
        method: 'PUT',
        headers: { ...JSON_AUTH, 'if-match': res.headers.get('etag')! },
        body: JSON.stringify(body),
      });
      expect(back.status).toBe(200);
      expect((await json<CharacterData>(back)).contentHash).toBe(full.contentHash);
      expect((await fetch(api('/characters/mara'), { headers: { authorization: 'Bearer wrong-token' } })).status).toBe(
        401,
      );
    });

    it('an author may add a public bio, the one piece of prose visitors see', async () => {
      const res = await put('/characters/tobias', {
        ...(await json<CharacterData>(await fetch(api('/characters/tobias'), { headers: AUTH }))),
        id: undefined,
        contentHash: undefined,
        bio: 'An old captain who knows every tide.',
      });
      expect(res.status, await res.clone().text()).toBe(200);
      const pub = await json<{ bio: string | null }>(await fetch(api('/characters/tobias')));
      expect(pub.bio).toBe('An old captain who knows every tide.');
      expect(readFileSync(file('tobias'), 'utf8')).toContain('bio: An old captain who knows every tide.');
    });
  });

  describe('item 6: bad input gets a clear answer', () => {
    it('deeply nested JSON is a 400 before validation, over REST and socket.io', async () => {
      let deep = '1';
      for (let i = 0; i < 700; i++) deep = `{"a":${deep}}`;
      const res = await post('/characters', `{"id":"deepx","name":"x","card":${deep}}`);
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toMatch(/nested/);
      const client = new RecordingClient(running.url);
      await client.connected();
      let value: unknown = 1;
      for (let i = 0; i < 700; i++) value = { a: value };
      const ack = (await client.emitRaw('scene:join', { sceneId: 'town-square', deep: value })) as {
        ok: boolean;
        error: { code: string; message: string };
      };
      expect(ack.ok).toBe(false);
      expect(ack.error.code).toBe('BAD_REQUEST');
      expect(ack.error.message).toMatch(/nested/);
      expect((await client.join('town-square')).ok).toBe(true);
      client.close();
    });

    it('an oversized PNG card upload is answered with a 413, not a reset connection', async () => {
      const res = await post('/character-cards/png', Buffer.alloc(9 * 1024 * 1024, 7), {
        ...AUTH,
        'content-type': 'image/png',
      });
      expect(res.status).toBe(413);
      expect(JSON.stringify(await res.json())).toMatch(/too large/i);
    });

    it('a read-only prompts/characters is a 503 naming the directory', async () => {
      const dir = join(prompts, 'characters');
      // Root may write anywhere: as root, the server (this process) acts as nobody for the request.
      const asRoot = process.getuid?.() === 0;
      chmodSync(dir, 0o555);
      if (asRoot) process.seteuid!(65534);
      let res: Response;
      try {
        res = await post('/characters', { id: 'readonly', name: 'Read Only' });
      } finally {
        if (asRoot) process.seteuid!(0);
        chmodSync(dir, 0o755);
      }
      expect(res.status).toBe(503);
      expect((await json<{ message: string }>(res)).message).toContain(dir);
      expect(existsSync(file('readonly'))).toBe(false);
    });
  });
});
