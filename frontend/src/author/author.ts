import './author.css';
import {
  SPRITE_HEIGHT,
  SPRITE_WIDTH,
  spritePixel,
  type SpritePalette,
} from '../../../backend/src/characters/sprite-pattern';
import type { CharacterData } from '../../../backend/src/contract/events';
import { lineDiff } from './diff';

/**
 * The prompt editor at /author. Everything the server or an author wrote is put on the
 * page with textContent, never as HTML. The author token is asked for once and kept in
 * localStorage; a 401 forgets it and asks again.
 */

const TOKEN_KEY = 'pixeltales.authorToken';
const SPRITE_SCALE = 6;

type Character = CharacterData;

interface Version {
  version: number;
  contentHash: string;
  source: string;
  createdAt: number;
  content: string;
  current: boolean;
}

interface SceneSummary {
  id: string;
  name: string;
  status: 'running' | 'paused';
  tick: number;
  characterCount: number;
}

interface ApiError {
  statusCode: number;
  message: string | string[];
  field?: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiError | null,
  ) {
    super(body ? (Array.isArray(body.message) ? body.message.join('; ') : body.message) : `HTTP ${status}`);
  }
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { text?: string; className?: string; testid?: string } = {},
  ...children: (Node | null)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.text !== undefined) node.textContent = props.text;
  if (props.className) node.className = props.className;
  if (props.testid) node.dataset.testid = props.testid;
  for (const child of children) if (child) node.append(child);
  return node;
}

function button(text: string, testid: string, onClick: () => void | Promise<void>, className = ''): HTMLButtonElement {
  const b = el('button', { text, testid, className });
  b.type = 'button';
  b.addEventListener('click', () => void onClick());
  return b;
}

const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function mountAuthor(root: HTMLElement): void {
  root.replaceChildren();
  root.classList.add('author');
  let token = localStorage.getItem(TOKEN_KEY);

  async function api<T>(
    path: string,
    init: RequestInit & { json?: unknown } = {},
  ): Promise<{ data: T; etag: string | null }> {
    const headers = new Headers(init.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    let body = init.body;
    if (init.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(init.json);
    }
    const res = await fetch(`/api${path}`, { ...init, headers, body });
    if (res.status === 401) {
      localStorage.removeItem(TOKEN_KEY);
      token = null;
      showGate('That token was not accepted. Enter the author token again.');
      throw new HttpError(401, null);
    }
    const type = res.headers.get('content-type') ?? '';
    const data: unknown = res.status === 204 ? null : type.includes('json') ? await res.json() : await res.blob();
    if (!res.ok) throw new HttpError(res.status, data as ApiError);
    return { data: data as T, etag: res.headers.get('etag') };
  }

  // ---- token gate --------------------------------------------------------------------------

  function showGate(
    message = 'Author tools need the author token (printed when the server first started, and kept in data/author-token).',
  ): void {
    const input = el('input', { testid: 'token-input' });
    input.type = 'password';
    input.autocomplete = 'off';
    input.placeholder = 'author token';
    const form = el(
      'form',
      { className: 'gate' },
      el('h1', { text: 'PixelTales · Author' }),
      el('p', { text: message }),
      input,
      el('button', { text: 'Use token', testid: 'token-submit' }),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!input.value.trim()) return;
      token = input.value.trim();
      localStorage.setItem(TOKEN_KEY, token);
      void start();
    });
    root.replaceChildren(form);
    input.focus();
  }

  // ---- main layout ------------------------------------------------------------------------------

  const status = el('p', { className: 'author-status', testid: 'status' });
  status.setAttribute('role', 'status');
  const characterList = el('ul', { className: 'author-list', testid: 'character-list' });
  const sceneList = el('ul', { className: 'author-list', testid: 'scene-list' });
  const editor = el('section', { className: 'author-editor', testid: 'editor' });

  const say = (text: string, kind: 'ok' | 'error' = 'ok') => {
    status.textContent = text;
    status.dataset.kind = kind;
  };

  async function start(): Promise<void> {
    if (!token) return showGate();
    const importInput = el('input', { testid: 'import-file' });
    importInput.type = 'file';
    importInput.accept = '.json,.png,application/json,image/png';
    importInput.addEventListener('change', () => void importCard(importInput));
    const logout = button(
      'Forget token',
      'forget-token',
      () => {
        localStorage.removeItem(TOKEN_KEY);
        token = null;
        showGate();
      },
      'quiet',
    );
    const side = el(
      'aside',
      { className: 'author-side' },
      el('h2', { text: 'Characters' }),
      characterList,
      button('New character', 'new-character', () => openNew()),
      el('label', { className: 'import', text: 'Import card (JSON or PNG) ' }, importInput),
      el('h2', { text: 'Scenes' }),
      sceneList,
      logout,
    );
    root.replaceChildren(
      el(
        'header',
        { className: 'author-header' },
        el('h1', { text: 'PixelTales · Author' }),
        el('a', { text: '← scenes', className: 'quiet' }),
      ),
      status,
      el('div', { className: 'author-main' }, side, editor),
    );
    (root.querySelector('header a') as HTMLAnchorElement).href = '/';
    try {
      await api('/character-problems');
    } catch {
      return; // the gate is showing
    }
    await Promise.all([refreshCharacters(), refreshScenes()]);
    say('Ready.');
  }

  async function refreshCharacters(selected?: string): Promise<void> {
    const [{ data: characters }, { data: problems }] = await Promise.all([
      api<Character[]>('/characters'),
      api<{ path: string; field: string; line: number | null; message: string }[]>('/character-problems'),
    ]);
    characterList.replaceChildren(
      ...characters.map((c) => {
        const item = el(
          'li',
          {},
          button(c.name, `character-${c.id}`, () => openCharacter(c.id), c.id === selected ? 'selected' : ''),
        );
        return item;
      }),
      ...problems.map((p) => el('li', { className: 'problem', text: p.message, testid: 'file-problem' })),
    );
  }

  async function refreshScenes(): Promise<void> {
    const { data: scenes } = await api<SceneSummary[]>('/scenes');
    sceneList.replaceChildren(
      ...scenes.map((s) => {
        const toggle = button(s.status === 'running' ? 'Pause' : 'Resume', `scene-toggle-${s.id}`, async () => {
          try {
            await api(`/scenes/${encodeURIComponent(s.id)}/${s.status === 'running' ? 'pause' : 'resume'}`, {
              method: 'POST',
            });
            say(`${s.name} ${s.status === 'running' ? 'paused' : 'resumed'}.`);
          } catch (error) {
            say((error as Error).message, 'error');
          }
          await refreshScenes();
        });
        return el(
          'li',
          { testid: `scene-${s.id}` },
          el('span', { text: `${s.name} · ${s.status} · ${s.characterCount} characters` }),
          toggle,
        );
      }),
    );
  }

  // ---- the character form -------------------------------------------------------------------------

  function field(label: string, name: string, input: HTMLElement, hint?: string): HTMLElement {
    const wrapper = el('div', { className: 'field' });
    wrapper.dataset.field = name;
    const lab = el('label', { text: label });
    if (input.id === '') input.id = `f-${name}`;
    lab.htmlFor = input.id;
    wrapper.append(lab, input);
    if (hint) wrapper.append(el('small', { text: hint }));
    wrapper.append(el('span', { className: 'field-error', testid: `error-${name}` }));
    return wrapper;
  }

  function textInput(name: string, value: string): HTMLInputElement {
    const input = el('input', { testid: `input-${name}` });
    input.name = name;
    input.value = value;
    return input;
  }

  function textArea(name: string, value: string, rows: number): HTMLTextAreaElement {
    const area = el('textarea', { testid: `input-${name}` });
    area.name = name;
    area.rows = rows;
    area.value = value;
    return area;
  }

  function openNew(): void {
    renderEditor(null, {
      id: '',
      name: '',
      sprite: { skin: '#f2d3b1', hair: '#6b3e26', shirt: '#3a7bd5', pants: '#2d2d2d' },
      traits: [],
      home: null,
      topics: [],
      voice: [],
      model: null,
      temperature: null,
      relationships: {},
      persona: '',
      contentHash: '',
    });
  }

  async function openCharacter(id: string): Promise<void> {
    try {
      const { data, etag } = await api<Character>(`/characters/${encodeURIComponent(id)}`);
      renderEditor(etag, data);
      await refreshCharacters(id);
    } catch (error) {
      say((error as Error).message, 'error');
    }
  }

  function renderEditor(etag: string | null, character: Character): void {
    const isNew = etag === null;
    let currentEtag = etag;
    const id = textInput('id', character.id);
    id.readOnly = !isNew;
    const name = textInput('name', character.name);
    const colours = (['skin', 'hair', 'shirt', 'pants'] as const).map((part) => {
      const input = el('input', { testid: `input-sprite-${part}` });
      input.type = 'color';
      input.name = `sprite.${part}`;
      input.value = character.sprite[part];
      input.id = `f-sprite-${part}`;
      return { part, input };
    });
    const canvas = el('canvas', { className: 'sprite-preview', testid: 'sprite-preview' });
    canvas.width = SPRITE_WIDTH * SPRITE_SCALE;
    canvas.height = SPRITE_HEIGHT * SPRITE_SCALE;
    const palette = (): SpritePalette =>
      Object.fromEntries(colours.map(({ part, input }) => [part, input.value])) as unknown as SpritePalette;
    const drawSprite = () => {
      const ctx = canvas.getContext('2d');
      if (!ctx) return;
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      const p = palette();
      for (let y = 0; y < SPRITE_HEIGHT; y++) {
        for (let x = 0; x < SPRITE_WIDTH; x++) {
          const colour = spritePixel(p, x, y);
          if (!colour) continue;
          ctx.fillStyle = colour;
          ctx.fillRect(x * SPRITE_SCALE, y * SPRITE_SCALE, SPRITE_SCALE, SPRITE_SCALE);
        }
      }
    };
    for (const { input } of colours) input.addEventListener('input', drawSprite);
    const traits = textInput('traits', character.traits.join(', '));
    const home = textInput('home', character.home ?? '');
    const topics = textInput('topics', character.topics.join(', '));
    const voice = textArea('voice', character.voice.join('\n'), 4);
    const model = textInput('model', character.model ?? '');
    model.placeholder = 'default (LLM_MODEL)';
    const temperature = textInput('temperature', character.temperature === null ? '' : String(character.temperature));
    temperature.inputMode = 'decimal';
    const relationships = textArea(
      'relationships',
      Object.entries(character.relationships)
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n'),
      3,
    );
    const persona = textArea('persona', character.persona, 14);

    const form = el('form', { className: 'character-form', testid: 'character-form' });
    const spriteField = el('div', { className: 'field sprite-field' });
    spriteField.dataset.field = 'sprite';
    spriteField.append(el('label', { text: 'Sprite palette' }), canvas);
    for (const { part, input } of colours) {
      const lab = el('label', { className: 'colour', text: `${part} ` });
      lab.append(input, el('span', { className: 'field-error', testid: `error-sprite.${part}` }));
      lab.dataset.field = `sprite.${part}`;
      spriteField.append(lab);
    }
    spriteField.append(el('span', { className: 'field-error', testid: 'error-sprite' }));
    form.append(
      field('Id (the file name)', 'id', id, isNew ? 'lowercase letters, digits, - or _' : undefined),
      field('Name', 'name', name),
      spriteField,
      field('Traits', 'traits', traits, 'comma-separated'),
      field('Home (a place of the scene map)', 'home', home),
      field('Topics', 'topics', topics, 'comma-separated'),
      field('Voice (sample lines, one a line)', 'voice', voice),
      field('Model', 'model', model, 'provider:model, or empty for the default'),
      field('Temperature', 'temperature', temperature, '0 to 2, or empty'),
      field('Relationships', 'relationships', relationships, 'one a line: character-id: number from -1 to 1'),
      field('Persona (Markdown)', 'persona', persona),
    );
    drawSprite();

    const clearErrors = () => {
      for (const span of form.querySelectorAll<HTMLElement>('.field-error')) span.textContent = '';
      for (const wrapper of form.querySelectorAll<HTMLElement>('.has-error')) wrapper.classList.remove('has-error');
    };
    /** Puts each server message beside the field it names ("sprite.shirt: …" or "name must be …"). */
    const showErrors = (error: HttpError) => {
      const messages = error.body
        ? Array.isArray(error.body.message)
          ? error.body.message
          : [error.body.message]
        : [error.message];
      let unplaced: string[] = [];
      for (const message of messages) {
        const named = error.body?.field ?? /^([A-Za-z_][\w.[\]-]*)(?::| )/.exec(message)?.[1] ?? '';
        const candidates = [named, named.split('.').slice(0, 2).join('.'), named.split(/[.[]/)[0]];
        const span = candidates
          .map((c) => form.querySelector<HTMLElement>(`[data-testid="error-${CSS.escape(c)}"]`))
          .find(Boolean);
        if (span) {
          span.textContent = message;
          span.closest('.field, label')?.classList.add('has-error');
        } else unplaced = [...unplaced, message];
      }
      say(unplaced.length > 0 ? unplaced.join('; ') : 'Not saved: see the fields marked below.', 'error');
    };

    const collect = (): Record<string, unknown> | null => {
      const rel: Record<string, number> = {};
      for (const line of relationships.value
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)) {
        const m = /^([^:]+):\s*(-?[\d.]+)$/.exec(line);
        if (!m) {
          showErrors(
            new HttpError(400, {
              statusCode: 400,
              message: [`relationships: "${line}" is not "id: number"`],
              field: 'relationships',
            }),
          );
          return null;
        }
        rel[m[1].trim()] = Number(m[2]);
      }
      const t = temperature.value.trim();
      return {
        name: name.value,
        sprite: palette(),
        traits: list(traits.value),
        home: home.value.trim() || undefined,
        topics: list(topics.value),
        voice: voice.value
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean),
        model: model.value.trim() || undefined,
        temperature: t === '' ? undefined : Number.isFinite(Number(t)) ? Number(t) : t,
        relationships: rel,
        ...(character.card ? { card: character.card } : {}),
        persona: persona.value,
      };
    };

    const save = async () => {
      clearErrors();
      const body = collect();
      if (!body) return;
      try {
        const { data, etag: next } = isNew
          ? await api<Character>('/characters', { method: 'POST', json: { id: id.value.trim(), ...body } })
          : await api<Character>(`/characters/${encodeURIComponent(character.id)}`, {
              method: 'PUT',
              json: body,
              headers: currentEtag ? { 'if-match': currentEtag } : {},
            });
        currentEtag = next;
        say(`Saved ${data.name}: live at the next turn.`);
        renderEditor(next, data);
        await refreshCharacters(data.id);
      } catch (error) {
        if (!(error instanceof HttpError)) return say((error as Error).message, 'error');
        if (error.status === 409)
          say(
            'Not saved: this character changed elsewhere (in the file or another tab). Reload it to see the change.',
            'error',
          );
        else if (error.status !== 401) showErrors(error);
      }
    };

    // ---- preview ----
    const situation = el('input', { testid: 'preview-situation' });
    situation.placeholder = 'situation (optional): e.g. it starts to rain';
    const partner = el('select', { testid: 'preview-partner' });
    partner.append(new Option('a passing stranger', ''));
    void api<Character[]>('/characters').then(({ data }) => {
      for (const c of data) if (c.id !== character.id) partner.append(new Option(c.name, c.id));
    });
    const previewOut = el('div', { className: 'preview-out', testid: 'preview-output' });
    previewOut.setAttribute('aria-live', 'polite');
    const preview = async () => {
      clearErrors();
      const draft = collect();
      if (!draft) return;
      previewOut.replaceChildren(el('p', { text: 'Asking the model…', className: 'quiet' }));
      const previewId = isNew ? id.value.trim() || 'draft' : character.id;
      try {
        const { data } = await api<{
          text: string;
          emotion: string;
          action: string | null;
          usage: { promptTokens: number; completionTokens: number };
          latencyMs: number;
          model: string;
        }>(`/characters/${encodeURIComponent(previewId)}/preview`, {
          method: 'POST',
          json: {
            draft,
            ...(partner.value ? { partnerId: partner.value } : {}),
            ...(situation.value.trim() ? { situation: situation.value.trim() } : {}),
          },
        });
        previewOut.replaceChildren(
          el('p', { text: data.text, className: 'preview-line', testid: 'preview-text' }),
          el('p', {
            className: 'quiet',
            text: `${data.emotion}${data.action ? ` · ${data.action}` : ''} · ${data.model} · ${data.usage.promptTokens}+${data.usage.completionTokens} tokens · ${data.latencyMs} ms`,
          }),
        );
      } catch (error) {
        previewOut.replaceChildren();
        if (error instanceof HttpError && error.status === 400) showErrors(error);
        else say((error as Error).message, 'error');
      }
    };

    const remove = async () => {
      if (!confirm(`Delete ${character.name}? The file goes and the character leaves its scenes; its versions stay.`))
        return;
      try {
        await api(`/characters/${encodeURIComponent(character.id)}`, {
          method: 'DELETE',
          headers: currentEtag ? { 'if-match': currentEtag } : {},
        });
        say(`Deleted ${character.name}.`);
        editor.replaceChildren();
        await refreshCharacters();
      } catch (error) {
        say((error as Error).message, 'error');
      }
    };

    const download = async (path: string, filename: string) => {
      try {
        const { data } = await api<Blob | object>(path);
        const blob =
          data instanceof Blob ? data : new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
        const a = el('a');
        a.href = URL.createObjectURL(blob);
        a.download = filename;
        a.click();
        setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      } catch (error) {
        say((error as Error).message, 'error');
      }
    };

    const actions = el(
      'div',
      { className: 'actions' },
      button(isNew ? 'Create' : 'Save', 'save', save, 'primary'),
      isNew ? null : button('Delete', 'delete', remove, 'danger'),
      isNew
        ? null
        : button('Export card JSON', 'export-json', () =>
            download(`/characters/${encodeURIComponent(character.id)}/card`, `${character.id}.card.json`),
          ),
      isNew
        ? null
        : button('Export card PNG', 'export-png', () =>
            download(`/characters/${encodeURIComponent(character.id)}/card.png`, `${character.id}.card.png`),
          ),
    );
    const previewBox = el(
      'section',
      { className: 'preview' },
      el('h3', { text: 'Try a line' }),
      situation,
      partner,
      button('Preview', 'preview', preview),
      previewOut,
    );
    const history = el('section', { className: 'history', testid: 'history' }, el('h3', { text: 'Versions' }));
    editor.replaceChildren(
      el('h2', { text: isNew ? 'New character' : character.name }),
      form,
      actions,
      previewBox,
      history,
    );
    if (!isNew) void renderHistory(history, character, () => currentEtag);
  }

  async function renderHistory(section: HTMLElement, character: Character, etag: () => string | null): Promise<void> {
    let versions: Version[];
    try {
      ({ data: versions } = await api<Version[]>(`/characters/${encodeURIComponent(character.id)}/versions`));
    } catch (error) {
      say((error as Error).message, 'error');
      return;
    }
    const current = versions.find((v) => v.current) ?? versions[0];
    const diffBox = el('pre', { className: 'diff', testid: 'diff' });
    const rows = versions.map((v) => {
      const when = new Date(v.createdAt).toLocaleString();
      const row = el(
        'li',
        { testid: `version-${v.version}` },
        el('span', { text: `v${v.version} · ${v.source} · ${when}${v.current ? ' · live' : ''}` }),
      );
      row.append(
        button('Diff', `diff-${v.version}`, () => {
          diffBox.replaceChildren(
            el('div', { className: 'diff-title', text: `v${v.version} → live (v${current.version})` }),
            ...lineDiff(v.content, current.content).map((d) =>
              el('div', {
                className: `diff-${d.kind}`,
                text: `${d.kind === 'added' ? '+' : d.kind === 'removed' ? '-' : ' '} ${d.text}`,
              }),
            ),
          );
        }),
      );
      if (!v.current) {
        row.append(
          button('Restore', `restore-${v.version}`, async () => {
            try {
              const tag = etag();
              const { data, etag: next } = await api<Character>(
                `/characters/${encodeURIComponent(character.id)}/versions/${v.version}/restore`,
                { method: 'POST', headers: tag ? { 'if-match': tag } : {} },
              );
              say(`Restored v${v.version} of ${data.name} (saved as a new version).`);
              renderEditor(next, data);
            } catch (error) {
              say(
                error instanceof HttpError && error.status === 409
                  ? 'Not restored: the character changed elsewhere. Reload it first.'
                  : (error as Error).message,
                'error',
              );
            }
          }),
        );
      }
      return row;
    });
    section.append(el('ul', { className: 'versions' }, ...rows), diffBox);
  }

  async function importCard(input: HTMLInputElement): Promise<void> {
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    try {
      const isPng = file.type === 'image/png' || file.name.toLowerCase().endsWith('.png');
      let result: { data: Character };
      if (isPng) {
        result = await api<Character>('/character-cards/png', {
          method: 'POST',
          body: file,
          headers: { 'content-type': 'image/png' },
        });
      } else {
        let json: unknown;
        try {
          json = JSON.parse(await file.text());
        } catch {
          return say(`${file.name} is not JSON.`, 'error');
        }
        result = await api<Character>('/character-cards', { method: 'POST', json });
      }
      say(`Imported ${result.data.name} as ${result.data.id}.`);
      await openCharacter(result.data.id);
    } catch (error) {
      if (error instanceof HttpError && error.status !== 401) say(`Import failed: ${error.message}`, 'error');
    }
  }

  void start();
}
