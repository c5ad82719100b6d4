/**
 * The live view's model of one scene, and the one function that changes it.
 *
 * `applyEvent(state, event)` is pure: it returns the next state (the old one is left as it
 * was) and the effects the view must draw. Everything the socket and the history requests
 * tell the viewer goes through it: the join snapshot, events that arrive while a join is
 * under way (kept, then applied after the snapshot), ticks (those at or below the tick we
 * have are stale and ignored), lines (keyed by id: a line seen twice is one line), and the
 * history read after a reconnect to fill the gap. No DOM, no timers, no Phaser: the view
 * (`view.ts`) owns those, and Vitest tests this file on its own (`state.spec.ts`).
 */
import type {
  LinePayload,
  SceneSnapshot,
  SceneStatus,
  ServerEventPayloads,
  SnapshotCharacter,
  StorytellerStatus,
} from '../../../backend/src/contract/events';

/** A server event as the socket delivers it. */
export type ServerEvent = {
  [K in keyof ServerEventPayloads]: { name: K; payload: ServerEventPayloads[K] };
}[keyof ServerEventPayloads];

export type LiveEvent =
  /** A `scene:join` was sent: events from now on wait for its snapshot. */
  | { type: 'joinSent' }
  /** The join failed or the socket dropped before its answer. */
  | { type: 'joinFailed' }
  /** The join's answer. */
  | { type: 'joined'; snapshot: SceneSnapshot }
  /** A snapshot fetched over REST (after a tick named a character we do not know). */
  | { type: 'resynced'; snapshot: SceneSnapshot }
  | { type: 'disconnected' }
  /** Lines read from `GET /api/scenes/:id/lines`: history, gap fill, or "Earlier lines". */
  | { type: 'history'; lines: readonly LinePayload[] }
  | { type: 'server'; event: ServerEvent };

export type Effect =
  /** A snapshot replaced the scene: draw it all again (the map too when `mapChanged`). */
  | { kind: 'snapshot'; snapshot: SceneSnapshot; mapChanged: boolean }
  /** Lines not seen before, in id order. `live`: just said (show a bubble); else history. */
  | { kind: 'lines'; lines: LinePayload[]; live: boolean }
  | { kind: 'moved'; tick: number; characters: ServerEventPayloads['scene:tick']['characters'] }
  | { kind: 'mood'; characterId: string; mood: string }
  | { kind: 'conversationStarted'; conversationId: string; participants: string[] }
  | { kind: 'conversationEnded'; conversationId: string; participants: string[]; reason: string }
  | { kind: 'typing'; characterId: string }
  | { kind: 'visitors'; count: number }
  | { kind: 'status'; status: SceneStatus }
  /** The storyteller (the model) is away (`resting`: show a calm notice) or back (`ok`). */
  | { kind: 'storyteller'; status: StorytellerStatus }
  /** A tick named a character the snapshot did not have: fetch a fresh snapshot. */
  | { kind: 'resync' }
  /** After a join: read history back to line `since` (0: nothing seen yet, just recent history). */
  | { kind: 'fillGap'; since: number };

export interface LiveState {
  readonly sceneId: string;
  /** The latest snapshot (name, map, tick length); null until the first join answers. */
  readonly snapshot: SceneSnapshot | null;
  readonly joining: boolean;
  readonly tick: number;
  readonly status: SceneStatus | null;
  readonly visitors: number;
  /** `resting` from the server's word until it says `ok` or a line arrives. */
  readonly storyteller: StorytellerStatus;
  readonly characters: ReadonlyMap<string, Readonly<SnapshotCharacter>>;
  /** Open conversations: id to participant ids. */
  readonly conversations: ReadonlyMap<string, readonly string[]>;
  /** Lines known, by id (the newest MAX_KNOWN_LINES). */
  readonly lines: ReadonlyMap<number, LinePayload>;
  /** Events that arrived between a join and its snapshot, applied after it. */
  readonly pending: readonly ServerEvent[];
}

/** Events kept while a join is under way; beyond this the oldest go (the snapshot covers them). */
export const MAX_PENDING_EVENTS = 500;
/** Lines remembered for de-duplication; the transcript shows fewer. */
export const MAX_KNOWN_LINES = 2_000;

export function initialState(sceneId: string): LiveState {
  return {
    sceneId,
    snapshot: null,
    joining: false,
    tick: 0,
    status: null,
    visitors: 0,
    storyteller: 'ok',
    characters: new Map(),
    conversations: new Map(),
    lines: new Map(),
    pending: [],
  };
}

export interface Applied {
  state: LiveState;
  effects: Effect[];
}

/** The highest line id the state knows (0: none). */
export function lastLineId(state: LiveState): number {
  let max = 0;
  for (const id of state.lines.keys()) if (id > max) max = id;
  return max;
}

export function applyEvent(state: LiveState, event: LiveEvent): Applied {
  switch (event.type) {
    case 'joinSent':
      return { state: { ...state, joining: true, pending: [] }, effects: [] };
    case 'joinFailed':
    case 'disconnected':
      return { state: { ...state, joining: false }, effects: [] };
    case 'joined': {
      const since = lastLineId(state);
      const applied = applySnapshot({ ...state, joining: false }, event.snapshot);
      // Then what arrived while we waited for the snapshot, in order.
      const effects = applied.effects;
      let next = { ...applied.state, pending: [] as ServerEvent[] };
      for (const queued of state.pending) {
        const r = applyServerEvent(next, queued);
        next = r.state as typeof next;
        effects.push(...r.effects);
      }
      effects.push({ kind: 'fillGap', since });
      return { state: next, effects };
    }
    case 'resynced':
      // Only once joined, and never older than what the ticks already told us: it would
      // move characters back in time.
      if (!state.snapshot || event.snapshot.tick < state.tick) return { state, effects: [] };
      return applySnapshot(state, event.snapshot);
    case 'history': {
      const { lines, fresh } = addLines(
        state.lines,
        event.lines.filter((l) => l.sceneId === state.sceneId),
      );
      return {
        state: { ...state, lines },
        effects: fresh.length ? [{ kind: 'lines', lines: fresh, live: false }] : [],
      };
    }
    case 'server': {
      if (event.event.payload.sceneId !== state.sceneId) return { state, effects: [] };
      if (state.joining || !state.snapshot) {
        const pending = [...state.pending, event.event];
        if (pending.length > MAX_PENDING_EVENTS) pending.shift();
        return { state: { ...state, pending }, effects: [] };
      }
      return applyServerEvent(state, event.event);
    }
  }
}

function applySnapshot(state: LiveState, snap: SceneSnapshot): Applied {
  const mapChanged = !state.snapshot || JSON.stringify(state.snapshot.map) !== JSON.stringify(snap.map);
  const characters = new Map(snap.characters.map((c) => [c.id, { ...c }]));
  const conversations = new Map(snap.conversations.map((c) => [c.id, [...c.participants]]));
  const { lines, fresh } = addLines(
    state.lines,
    snap.conversations.flatMap((c) => c.lines),
  );
  const effects: Effect[] = [{ kind: 'snapshot', snapshot: snap, mapChanged }];
  if (fresh.length) effects.push({ kind: 'lines', lines: fresh, live: false });
  return {
    state: {
      ...state,
      snapshot: snap,
      tick: snap.tick,
      status: snap.status,
      visitors: snap.visitorCount,
      storyteller: snap.storyteller,
      characters,
      conversations,
      lines,
    },
    effects,
  };
}

function applyServerEvent(state: LiveState, event: ServerEvent): Applied {
  switch (event.name) {
    case 'scene:tick': {
      const p = event.payload;
      if (p.tick <= state.tick) return { state, effects: [] };
      const characters = new Map(state.characters);
      const effects: Effect[] = [];
      let unknown = false;
      for (const change of p.characters) {
        const c = characters.get(change.id);
        if (!c) {
          unknown = true;
          continue;
        }
        characters.set(c.id, {
          ...c,
          x: change.x,
          y: change.y,
          direction: change.direction,
          action: change.action,
          mood: change.mood,
        });
        if (c.mood !== change.mood) effects.push({ kind: 'mood', characterId: c.id, mood: change.mood });
      }
      effects.unshift({ kind: 'moved', tick: p.tick, characters: p.characters });
      if (unknown) effects.push({ kind: 'resync' });
      return { state: { ...state, tick: p.tick, characters }, effects };
    }
    case 'conversation:started': {
      const p = event.payload;
      const conversations = new Map(state.conversations);
      conversations.set(p.conversationId, [...p.participants]);
      const characters = new Map(state.characters);
      for (const id of p.participants) {
        const c = characters.get(id);
        if (c) characters.set(id, { ...c, conversationId: p.conversationId });
      }
      return {
        state: { ...state, conversations, characters },
        effects: [{ kind: 'conversationStarted', conversationId: p.conversationId, participants: [...p.participants] }],
      };
    }
    case 'conversation:line': {
      const p = event.payload;
      const { lines, fresh } = addLines(state.lines, [p]);
      if (!fresh.length) return { state, effects: [] };
      const effects: Effect[] = [{ kind: 'lines', lines: fresh, live: true }];
      // A line is the storyteller back, whatever was said before.
      if (state.storyteller !== 'ok') effects.push({ kind: 'storyteller', status: 'ok' });
      let { characters, conversations } = state;
      const c = characters.get(p.characterId);
      if (c && c.mood !== p.emotion) {
        characters = new Map(characters).set(c.id, { ...c, mood: p.emotion });
        effects.push({ kind: 'mood', characterId: c.id, mood: p.emotion });
      }
      // A line of a conversation whose start we missed (it began before a snapshot we lack).
      if (!conversations.has(p.conversationId)) {
        conversations = new Map(conversations).set(p.conversationId, [p.characterId]);
      }
      return { state: { ...state, lines, characters, conversations, storyteller: 'ok' }, effects };
    }
    case 'conversation:typing':
      return { state, effects: [{ kind: 'typing', characterId: event.payload.characterId }] };
    case 'conversation:ended': {
      const p = event.payload;
      const participants = [...(state.conversations.get(p.conversationId) ?? [])];
      const conversations = new Map(state.conversations);
      conversations.delete(p.conversationId);
      const characters = new Map(state.characters);
      for (const id of participants) {
        const c = characters.get(id);
        if (c && c.conversationId === p.conversationId) characters.set(id, { ...c, conversationId: null });
      }
      return {
        state: { ...state, conversations, characters },
        effects: [{ kind: 'conversationEnded', conversationId: p.conversationId, participants, reason: p.reason }],
      };
    }
    case 'scene:visitors':
      return {
        state: { ...state, visitors: event.payload.count },
        effects: [{ kind: 'visitors', count: event.payload.count }],
      };
    case 'scene:status':
      return {
        state: { ...state, status: event.payload.status },
        effects: [{ kind: 'status', status: event.payload.status }],
      };
    case 'scene:storyteller':
      if (event.payload.status === state.storyteller) return { state, effects: [] };
      return {
        state: { ...state, storyteller: event.payload.status },
        effects: [{ kind: 'storyteller', status: event.payload.status }],
      };
  }
}

/** Adds the lines whose ids are new; returns the new map and those lines in id order. */
function addLines(
  known: ReadonlyMap<number, LinePayload>,
  incoming: readonly LinePayload[],
): { lines: ReadonlyMap<number, LinePayload>; fresh: LinePayload[] } {
  const fresh: LinePayload[] = [];
  const seen = new Set<number>();
  for (const line of incoming) {
    if (known.has(line.lineId) || seen.has(line.lineId)) continue;
    seen.add(line.lineId);
    fresh.push(line);
  }
  if (!fresh.length) return { lines: known, fresh };
  fresh.sort((a, b) => a.lineId - b.lineId);
  const lines = new Map(known);
  for (const line of fresh) lines.set(line.lineId, line);
  if (lines.size > MAX_KNOWN_LINES) {
    const drop = [...lines.keys()].sort((a, b) => a - b).slice(0, lines.size - MAX_KNOWN_LINES);
    for (const id of drop) lines.delete(id);
  }
  return { lines, fresh };
}
