/**
 * The live view at /scene/:id: socket.io connection (join, re-join, gap fill), the Phaser
 * stage (loaded on demand), the DOM overlay, the transcript, the cast and the character card.
 * What the server says is applied by `applyEvent` (state.ts); this file draws its effects.
 */
import { io, type Socket } from 'socket.io-client';
import {
  ClientEvents,
  ServerEvents,
  type ClientToServerEvents,
  type JoinAck,
  type LinePayload,
  type SceneSnapshot,
  type SceneStatus,
  type ServerEventPayloads,
  type StorytellerStatus,
  type ServerToClientEvents,
} from '../../../backend/src/contract/events';
import { readableOnDark, readableOnLight } from '../art/palette';
import { moodIconUrl, portrait } from '../art/sprites';
import { el, getJson, header, plural } from '../dom';
import type { Stage } from '../game/stage';
import { readingMs, type Rect } from './bubbles';
import { CharacterCard } from './card';
import { Overlay, type StageFrame, type VisibleBubble } from './overlay';
import { applyEvent, initialState, type Effect, type LiveEvent, type LiveState, type ServerEvent } from './state';
import { Transcript } from './transcript';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline';

/** What tests and curious visitors can read from the console: `window.__pixeltales.state()`. */
export interface DebugState {
  sceneId: string;
  connection: ConnectionState;
  joins: number;
  tick: number;
  status: SceneStatus | null;
  storyteller: StorytellerStatus;
  visitors: number;
  renderer: string | null;
  zoom: number;
  selected: string | null;
  transcript: number[];
  bubbles: (VisibleBubble & { page: Rect })[];
  characters: {
    id: string;
    name: string;
    x: number;
    y: number;
    action: string;
    mood: string;
    page: { x: number; y: number } | null;
  }[];
}

declare global {
  interface Window {
    __pixeltales?: { state: () => DebugState; ready: boolean; firstFrameAt?: number };
  }
}

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline, retrying…',
};

const TYPING_MS = 20_000;

export function showScene(app: HTMLElement, sceneId: string): void {
  // ---- DOM -------------------------------------------------------------------------------
  const bar = header('scene');
  const title = el('h1', 'scene-name', 'Loading…');
  const paused = el('span', 'badge paused', 'Paused');
  paused.hidden = true;
  const conn = el('span', 'conn');
  conn.setAttribute('role', 'status');
  const connText = el('span', 'conn-text');
  conn.append(el('i', 'dot'), connText);
  const visitors = el('span', 'visitors');
  const info = el('div', 'bar-info');
  info.append(title, paused, conn, visitors);
  bar.insertBefore(info, bar.lastChild);

  const stageBox = el('div', 'stage');
  const canvasBox = el('div', 'canvas-box');
  const notice = el('div', 'notice', 'Connecting to the scene…');
  const zoomIn = el('button', 'zoom-in', '+');
  const zoomOut = el('button', 'zoom-out', '−');
  const zoomFit = el('button', 'zoom-fit', 'Fit');
  zoomIn.setAttribute('aria-label', 'Zoom in');
  zoomOut.setAttribute('aria-label', 'Zoom out');
  zoomFit.setAttribute('aria-label', 'Fit the map');
  const controls = el('div', 'zoom');
  for (const b of [zoomIn, zoomOut, zoomFit]) {
    b.type = 'button';
    controls.append(b);
  }
  stageBox.append(canvasBox);
  const overlay = new Overlay(stageBox);
  const card = new CharacterCard(() => select(null));
  const resting = el(
    'div',
    'resting',
    'The storyteller is away for a moment. The characters are resting until it is back.',
  );
  resting.setAttribute('role', 'status');
  resting.hidden = true;
  stageBox.append(controls, card.root, resting, notice);

  const side = el('aside', 'side');
  const castList = el('ul', 'cast');
  castList.setAttribute('aria-label', 'Cast');
  const scroller = el('div', 'transcript-scroll');
  const earlier = el('button', 'earlier', 'Earlier lines');
  earlier.type = 'button';
  earlier.hidden = true;
  const speakerOf = (id: string) => {
    const c = live.characters.get(id);
    return { name: c?.name ?? id, color: c ? readableOnDark(c.sprite.shirt) : '#c0cbdc' };
  };
  const transcript = new Transcript(speakerOf);
  const EMPTY_TEXT = 'Nobody has said anything yet. Give them a moment.';
  const EMPTY_RESTING = 'Nobody has said anything yet: the characters are resting until the storyteller is back.';
  const empty = el('p', 'empty', EMPTY_TEXT);
  scroller.append(earlier, transcript.root, empty);
  const transcriptTitle = el('h2', 'side-title', 'Transcript');
  side.append(el('h2', 'side-title visually-hidden', 'Cast'), castList, transcriptTitle, scroller);

  const status = el('div', undefined);
  status.id = 'pt-status';
  status.hidden = true;
  const main = el('main', 'live');
  main.append(stageBox, side);
  app.replaceChildren(bar, main, status);
  document.body.classList.add('live-page');

  // ---- State ----------------------------------------------------------------------------
  // The scene as the server described it lives in `live` and changes only through
  // applyEvent (state.ts); what follows here is what the page adds: timers, focus, selection.
  let live: LiveState = initialState(sceneId);
  const typingUntil = new Map<string, number>();
  const bubbled = new Set<number>();
  let connection: ConnectionState = 'connecting';
  let joins = 0;
  let selected: string | null = null;
  let focusConversation: string | null = null;
  let focusSpokeAt = 0;
  let stage: Stage | null = null;
  let lastFrame: StageFrame | null = null;
  let castKey = '';

  const setConnection = (state: ConnectionState) => {
    connection = state;
    conn.dataset.state = state;
    connText.textContent = CONNECTION_TEXT[state];
    status.dataset.connection = state;
  };
  setConnection('connecting');

  const setVisitors = (n: number) => {
    visitors.textContent = `${plural(n, 'viewer')} watching`;
    visitors.dataset.count = String(n);
  };

  const setStoryteller = (s: StorytellerStatus) => {
    resting.hidden = s !== 'resting';
    empty.textContent = s === 'resting' ? EMPTY_RESTING : EMPTY_TEXT;
    status.dataset.storyteller = s;
  };

  const setStatus = (s: SceneStatus) => {
    paused.hidden = s !== 'paused';
  };

  const say = (line: LinePayload, remaining?: number) => {
    if (bubbled.has(line.lineId)) return;
    bubbled.add(line.lineId);
    if (bubbled.size > 500) bubbled.delete(bubbled.values().next().value!);
    overlay.speech.push(line, performance.now(), remaining);
  };

  /** Lines that were said so recently that their bubble would still be up. */
  const sayIfRecent = (line: LinePayload) => {
    const left = readingMs(line.text) - (Date.now() - line.at);
    if (left > 500) say(line, left);
  };

  const partnersOf = (id: string): string[] => {
    const c = live.characters.get(id);
    const participants =
      (c?.conversationId && live.conversations.get(c.conversationId)) ||
      [...live.conversations.values()].find((p) => p.includes(id)) ||
      [];
    return participants.filter((p) => p !== id).map((p) => live.characters.get(p)?.name ?? p);
  };

  const refreshCard = () => {
    const c = selected ? live.characters.get(selected) : undefined;
    if (!c) {
      card.hide();
      return;
    }
    card.show(c, readableOnDark(c.sprite.shirt), partnersOf(c.id));
  };

  const refreshCast = () => {
    const key = JSON.stringify(
      [...live.characters.values()].map((c) => [c.id, c.name, c.sprite, c.mood, c.action, selected === c.id]),
    );
    if (key === castKey) return;
    const rebuild =
      castKey === '' ||
      JSON.stringify([...live.characters.values()].map((c) => [c.id, c.name, c.sprite])) !== castList.dataset.key;
    castKey = key;
    if (rebuild) {
      castList.dataset.key = JSON.stringify([...live.characters.values()].map((c) => [c.id, c.name, c.sprite]));
      castList.replaceChildren(
        ...[...live.characters.values()].map((c) => {
          const button = el('button', 'cast-member');
          button.type = 'button';
          button.dataset.characterId = c.id;
          const name = el('span', 'name', c.name);
          name.style.color = readableOnDark(c.sprite.shirt);
          const mood = document.createElement('img');
          mood.className = 'pixel mood';
          mood.alt = '';
          mood.width = 18;
          mood.height = 18;
          const doing = el('span', 'doing');
          button.append(portrait(c.sprite), name, mood, doing);
          const item = el('li');
          item.append(button);
          return item;
        }),
      );
    }
    for (const button of castList.querySelectorAll<HTMLButtonElement>('.cast-member')) {
      const c = live.characters.get(button.dataset.characterId ?? '');
      if (!c) continue;
      button.setAttribute('aria-pressed', String(selected === c.id));
      const mood = button.querySelector<HTMLImageElement>('.mood')!;
      if (mood.dataset.mood !== c.mood) {
        mood.src = moodIconUrl(c.mood);
        mood.dataset.mood = c.mood;
        mood.title = c.mood;
      }
      button.querySelector('.doing')!.textContent = c.action === 'thinking' ? 'thinking…' : c.action;
      button.title = `${c.name}: ${c.mood}, ${c.action}`;
    }
  };

  const select = (id: string | null) => {
    selected = id && live.characters.has(id) ? id : null;
    stage?.select(selected);
    refreshCard();
    refreshCast();
  };

  castList.addEventListener('click', (e) => {
    const button = (e.target as HTMLElement).closest<HTMLButtonElement>('.cast-member');
    if (button) select(selected === button.dataset.characterId ? null : (button.dataset.characterId ?? null));
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && selected) select(null);
  });
  zoomIn.addEventListener('click', () => stage?.zoomBy(1));
  zoomOut.addEventListener('click', () => stage?.zoomBy(-1));
  zoomFit.addEventListener('click', () => stage?.resetView());

  const overlayCharacters = () =>
    [...live.characters.values()].map((c) => ({
      id: c.id,
      name: c.name,
      mood: c.mood,
      colorOnDark: readableOnDark(c.sprite.shirt),
      colorOnLight: readableOnLight(c.sprite.shirt),
    }));

  const updateFocus = () => {
    const participants = focusConversation ? live.conversations.get(focusConversation) : undefined;
    stage?.setFocus(participants ?? [...live.conversations.values()][0] ?? []);
  };

  const updateEmpty = () => {
    empty.hidden = transcript.size > 0;
  };

  // ---- Drawing what changed ------------------------------------------------------------------
  const focusOn = (conversationId: string, force: boolean) => {
    // The camera stays with one conversation while it is lively, rather than hopping between two.
    const now = performance.now();
    if (force || !focusConversation || !live.conversations.has(focusConversation) || now - focusSpokeAt > 6000) {
      focusConversation = conversationId;
      focusSpokeAt = now;
      updateFocus();
    }
  };

  const draw = (effect: Effect) => {
    switch (effect.kind) {
      case 'snapshot': {
        const snap = effect.snapshot;
        title.textContent = snap.name;
        document.title = `${snap.name} · PixelTales`;
        setStatus(snap.status);
        setVisitors(snap.visitorCount);
        setStoryteller(snap.storyteller);
        overlay.setCharacters(overlayCharacters());
        transcript.refreshSpeakers();
        for (const conv of snap.conversations) {
          transcript.conversationStarted(conv.id, conv.participants);
          focusConversation = conv.id;
        }
        if (stage) {
          if (effect.mapChanged) stage.setMap(snap.map);
          stage.setTickMs(snap.tickMs);
          stage.sync(snap.characters);
        }
        updateFocus();
        if (selected && !live.characters.has(selected)) select(null);
        notice.hidden = true;
        break;
      }
      case 'lines': {
        transcript.add(effect.lines);
        if (effect.live) {
          for (const line of effect.lines) {
            typingUntil.delete(line.characterId);
            say(line);
            focusOn(line.conversationId, line.conversationId === focusConversation);
          }
        } else {
          // Only the last line of a conversation can still be up as a bubble.
          const last = new Map(effect.lines.map((l) => [l.conversationId, l]));
          for (const line of last.values()) sayIfRecent(line);
        }
        updateEmpty();
        break;
      }
      case 'moved':
        stage?.move(effect.characters);
        break;
      case 'mood':
        overlay.setMood(effect.characterId, effect.mood);
        break;
      case 'conversationStarted':
        transcript.conversationStarted(effect.conversationId, effect.participants);
        focusOn(effect.conversationId, false);
        break;
      case 'conversationEnded':
        for (const id of effect.participants) typingUntil.delete(id);
        transcript.conversationEnded(effect.conversationId, effect.reason);
        if (focusConversation === effect.conversationId) focusConversation = null;
        updateFocus();
        break;
      case 'typing':
        typingUntil.set(effect.characterId, performance.now() + TYPING_MS);
        break;
      case 'visitors':
        setVisitors(effect.count);
        break;
      case 'status':
        setStatus(effect.status);
        break;
      case 'storyteller':
        setStoryteller(effect.status);
        break;
      case 'resync':
        void resync();
        break;
      case 'fillGap':
        void fillGapWithRetry(joins, effect.since);
        break;
    }
  };

  const apply = (event: LiveEvent) => {
    const applied = applyEvent(live, event);
    live = applied.state;
    if (!applied.effects.length) return;
    for (const effect of applied.effects) draw(effect);
    refreshCast();
    refreshCard();
  };

  // ---- History and the gap after a reconnect -------------------------------------------
  const linesUrl = (limit: number, before?: number) =>
    `/api/scenes/${encodeURIComponent(sceneId)}/lines?limit=${limit}${before ? `&before=${before}` : ''}`;

  /** Reads history back to `since` (the last line seen before this join; 0: just recent history). */
  const fillGap = async (since: number): Promise<void> => {
    const limit = since === 0 ? 60 : 200;
    const collected: LinePayload[] = [];
    let before: number | undefined;
    for (let page = 0; page < 10; page++) {
      const rows = await getJson<LinePayload[]>(linesUrl(limit, before));
      collected.push(...rows);
      if (since === 0) earlier.hidden = rows.length < limit;
      if (since === 0 || rows.length < limit || rows.some((r) => r.lineId <= since)) break;
      before = rows[rows.length - 1].lineId;
    }
    apply({ type: 'history', lines: collected });
  };

  const fillGapWithRetry = async (joinNo: number, since: number): Promise<void> => {
    for (let attempt = 0; attempt < 5 && joinNo === joins && socket.connected; attempt++) {
      try {
        await fillGap(since);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 1000 * (attempt + 1)));
      }
    }
  };

  const loadEarlier = async () => {
    earlier.disabled = true;
    try {
      const before = transcript.minId();
      const rows = await getJson<LinePayload[]>(linesUrl(50, before || undefined));
      const height = scroller.scrollHeight;
      // Shown in full (no trim) even when the state has forgotten them: the visitor asked.
      apply({ type: 'history', lines: rows });
      transcript.add(rows, { trim: false });
      scroller.scrollTop += scroller.scrollHeight - height;
      earlier.hidden = rows.length < 50;
    } catch {
      // Try again with the next click.
    } finally {
      earlier.disabled = false;
    }
  };
  // loadEarlier() catches its own failures.
  earlier.addEventListener('click', () => void loadEarlier());

  let resyncing = false;
  const resync = async () => {
    if (resyncing) return;
    resyncing = true;
    try {
      apply({ type: 'resynced', snapshot: await getJson<SceneSnapshot>(`/api/scenes/${encodeURIComponent(sceneId)}`) });
    } catch {
      // The next join or tick will try again.
    } finally {
      setTimeout(() => (resyncing = false), 2000);
    }
  };

  // ---- The connection --------------------------------------------------------------------
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({
    transports: ['websocket'],
    reconnectionDelay: 500,
    reconnectionDelayMax: 3000,
    timeout: 8000,
  });

  const join = () => {
    apply({ type: 'joinSent' });
    socket.timeout(8000).emit(ClientEvents.Join, { sceneId }, (err: Error | null, ack?: JoinAck) => {
      if (err || !ack) {
        apply({ type: 'joinFailed' });
        if (socket.connected) setTimeout(join, 1500);
        return;
      }
      if (!ack.ok) {
        apply({ type: 'joinFailed' });
        if (ack.error.code === 'NOT_FOUND' || /not found/i.test(ack.error.message)) {
          if (live.snapshot) {
            setTimeout(() => socket.connected && join(), 2000);
            return;
          }
          title.textContent = 'Scene not found';
          side.hidden = true;
          controls.hidden = true;
          notice.replaceChildren(
            el('p', undefined, ack.error.message),
            Object.assign(el('a', undefined, 'Back to all scenes'), { href: '/' }),
          );
          notice.hidden = false;
          socket.close();
          setConnection('offline');
          connText.textContent = 'Not found';
          return;
        }
        setTimeout(() => socket.connected && join(), 2000);
        return;
      }
      joins += 1;
      status.dataset.joins = String(joins);
      setConnection('live');
      // The snapshot, then the events queued while waiting for it, then the gap before it.
      apply({ type: 'joined', snapshot: ack.snapshot });
    });
  };

  socket.on('connect', () => {
    setConnection(live.snapshot ? 'reconnecting' : 'connecting');
    join();
  });
  socket.on('disconnect', (reason) => {
    apply({ type: 'disconnected' });
    setConnection('reconnecting');
    for (const id of typingUntil.keys()) typingUntil.delete(id);
    // A server that closes the socket itself (shutting down) is not retried by socket.io.
    if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 1000);
  });
  socket.on('connect_error', () => {
    if (connection !== 'offline') setConnection(live.snapshot ? 'reconnecting' : 'connecting');
  });
  socket.io.on('reconnect_attempt', (n) => {
    if (n >= 4) setConnection('offline');
  });
  window.addEventListener('online', () => {
    if (!socket.connected) socket.connect();
  });
  for (const name of Object.values(ServerEvents)) {
    socket.on(name, (payload: ServerEventPayloads[typeof name]) =>
      apply({ type: 'server', event: { name, payload } as ServerEvent }),
    );
  }

  // ---- The stage, loaded on demand ----------------------------------------------------------
  const onFrame = (frame: StageFrame) => {
    lastFrame = frame;
    // The first frame with the scene in it (the benchmark's "time to first frame").
    if (live.snapshot && stage && window.__pixeltales && !window.__pixeltales.ready) {
      window.__pixeltales.firstFrameAt = performance.now();
      window.__pixeltales.ready = true;
    }
    const now = performance.now();
    for (const c of live.characters.values()) {
      const thinking = c.action === 'thinking' || (typingUntil.get(c.id) ?? 0) > now;
      overlay.setThinking(c.id, thinking);
      stage?.setEmphasis(c.id, overlay.speech.speaking(c.id) ? 'talking' : thinking ? 'thinking' : null);
    }
    overlay.render(frame, now);
  };

  import('../game/stage')
    .then(({ createStage }) =>
      createStage({ parent: canvasBox, tickMs: live.snapshot?.tickMs ?? 500, onFrame, onPick: (id) => select(id) }),
    )
    .then((created) => {
      stage = created;
      status.dataset.renderer = created.info().renderer;
      if (live.snapshot) {
        created.setMap(live.snapshot.map);
        created.setTickMs(live.snapshot.tickMs);
        created.sync([...live.characters.values()]);
        created.select(selected);
        updateFocus();
      }
    })
    .catch((err: unknown) => {
      notice.replaceChildren(
        el('p', undefined, `The scene could not be drawn: ${err instanceof Error ? err.message : String(err)}`),
      );
      notice.hidden = false;
    });

  // ---- For tests and the curious ----------------------------------------------------------
  window.__pixeltales = {
    ready: false,
    state: () => {
      const box = stageBox.getBoundingClientRect();
      const frameChars = new Map((lastFrame?.characters ?? []).map((c) => [c.id, c]));
      return {
        sceneId,
        connection,
        joins,
        tick: live.tick,
        status: live.status,
        storyteller: live.storyteller,
        visitors: live.visitors,
        renderer: stage?.info().renderer ?? null,
        zoom: stage?.info().zoom ?? 0,
        selected,
        transcript: transcript.ids(),
        bubbles: overlay
          .bubblesShown()
          .map((b) => ({ ...b, page: { x: b.rect.x + box.left, y: b.rect.y + box.top, w: b.rect.w, h: b.rect.h } })),
        characters: [...live.characters.values()].map((c) => {
          const f = frameChars.get(c.id);
          return {
            id: c.id,
            name: c.name,
            x: c.x,
            y: c.y,
            action: c.action,
            mood: c.mood,
            page: f?.onScreen ? { x: box.left + f.footX, y: box.top + (f.headY + f.footY) / 2 } : null,
          };
        }),
      };
    },
  };
}
