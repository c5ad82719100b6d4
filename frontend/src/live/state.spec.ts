import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type {
  CharacterPosition,
  LinePayload,
  SceneSnapshot,
  SnapshotCharacter,
} from '../../../backend/src/contract/events';
import {
  MAX_PENDING_EVENTS,
  applyEvent,
  initialState,
  type Effect,
  type LiveEvent,
  type LiveState,
  type ServerEvent,
} from './state';

const SCENE = 'town';

function character(id: string, over: Partial<SnapshotCharacter> = {}): SnapshotCharacter {
  return {
    id,
    name: id.toUpperCase(),
    x: 1,
    y: 1,
    direction: 'down',
    action: 'idle',
    mood: 'calm',
    sprite: { skin: '#ffffff', hair: '#000000', shirt: '#ff0000', pants: '#0000ff' },
    traits: [],
    conversationId: null,
    ...over,
  };
}

function line(lineId: number, over: Partial<LinePayload> = {}): LinePayload {
  return {
    sceneId: SCENE,
    conversationId: 'c1',
    lineId,
    characterId: 'ann',
    text: `line ${lineId}`,
    emotion: 'calm',
    tick: lineId,
    at: 1_700_000_000_000 + lineId,
    ...over,
  };
}

function snapshot(over: Partial<SceneSnapshot> = {}): SceneSnapshot {
  return {
    id: SCENE,
    name: 'Town',
    description: '',
    status: 'running',
    tick: 10,
    tickMs: 500,
    map: ['...', '...'],
    places: {},
    characters: [character('ann'), character('bob')],
    conversations: [],
    visitorCount: 1,
    storyteller: 'ok',
    usage: { promptTokens: 0, completionTokens: 0, lines: 0 },
    ...over,
  };
}

const tick = (
  n: number,
  characters: CharacterPosition[] = [{ id: 'ann', x: 2, y: 1, direction: 'right', action: 'walking', mood: 'calm' }],
): LiveEvent => ({
  type: 'server',
  event: { name: 'scene:tick', payload: { sceneId: SCENE, tick: n, characters } },
});
const said = (l: LinePayload): LiveEvent => ({ type: 'server', event: { name: 'conversation:line', payload: l } });
const server = (event: ServerEvent): LiveEvent => ({ type: 'server', event });

/** Applies events in order, collecting every effect. */
function run(events: LiveEvent[], from: LiveState = initialState(SCENE)): { state: LiveState; effects: Effect[] } {
  let state = from;
  const effects: Effect[] = [];
  for (const event of events) {
    const applied = applyEvent(state, event);
    state = applied.state;
    effects.push(...applied.effects);
  }
  return { state, effects };
}

const joined = (snap = snapshot()) => run([{ type: 'joinSent' }, { type: 'joined', snapshot: snap }]).state;
const lineIds = (effects: Effect[]) => effects.flatMap((e) => (e.kind === 'lines' ? e.lines.map((l) => l.lineId) : []));

describe('applyEvent', () => {
  it('join snapshot: characters, tick, status, open conversations and their lines; then a gap fill from nothing', () => {
    const snap = snapshot({
      tick: 42,
      status: 'paused',
      visitorCount: 3,
      characters: [character('ann', { conversationId: 'c1' }), character('bob', { conversationId: 'c1' })],
      conversations: [{ id: 'c1', participants: ['ann', 'bob'], lines: [line(5), line(6, { characterId: 'bob' })] }],
    });
    const { state, effects } = run([{ type: 'joinSent' }, { type: 'joined', snapshot: snap }]);
    expect(state.joining).toBe(false);
    expect(state.tick).toBe(42);
    expect(state.status).toBe('paused');
    expect(state.visitors).toBe(3);
    expect([...state.characters.keys()]).toEqual(['ann', 'bob']);
    expect(state.conversations.get('c1')).toEqual(['ann', 'bob']);
    expect([...state.lines.keys()]).toEqual([5, 6]);
    expect(effects.map((e) => e.kind)).toEqual(['snapshot', 'lines', 'fillGap']);
    expect(effects[0]).toMatchObject({ kind: 'snapshot', mapChanged: true });
    expect(effects[1]).toMatchObject({ kind: 'lines', live: false });
    expect(effects[2]).toEqual({ kind: 'fillGap', since: 0 });
  });

  it('ignores ticks at or below the snapshot tick, applies newer ones', () => {
    const state = joined(snapshot({ tick: 10 }));
    for (const stale of [10, 9, 1]) {
      const applied = applyEvent(state, tick(stale));
      expect(applied.state).toBe(state);
      expect(applied.effects).toEqual([]);
    }
    const { state: next, effects } = run([tick(11)], state);
    expect(next.tick).toBe(11);
    expect(next.characters.get('ann')).toMatchObject({ x: 2, direction: 'right', action: 'walking' });
    expect(effects).toEqual([{ kind: 'moved', tick: 11, characters: expect.any(Array) }]);
    // And a tick delivered twice is applied once.
    expect(applyEvent(next, tick(11)).effects).toEqual([]);
  });

  it('keeps events that arrive between join and snapshot, and applies them after it (stale ticks dropped)', () => {
    const { state, effects } = run([
      { type: 'joinSent' },
      tick(9),
      tick(12),
      said(line(1)),
      server({ name: 'scene:visitors', payload: { sceneId: SCENE, count: 7 } }),
      { type: 'joined', snapshot: snapshot({ tick: 10 }) },
    ]);
    expect(state.pending).toEqual([]);
    expect(state.tick).toBe(12);
    expect(state.visitors).toBe(7);
    expect([...state.lines.keys()]).toEqual([1]);
    expect(effects.map((e) => e.kind)).toEqual(['snapshot', 'moved', 'lines', 'visitors', 'fillGap']);
  });

  it('drops the oldest queued events beyond the cap', () => {
    const events: LiveEvent[] = [{ type: 'joinSent' }];
    for (let i = 1; i <= MAX_PENDING_EVENTS + 5; i++) events.push(said(line(i)));
    const { state } = run(events);
    expect(state.pending).toHaveLength(MAX_PENDING_EVENTS);
    const first = state.pending[0];
    expect(first.name === 'conversation:line' && first.payload.lineId).toBe(6);
  });

  it('keys lines by id: a line delivered twice, or live and again in history, is one line', () => {
    const state = joined();
    const { state: next, effects } = run(
      [said(line(1)), said(line(1)), { type: 'history', lines: [line(2), line(1), line(2)] }, said(line(2))],
      state,
    );
    expect([...next.lines.keys()].sort()).toEqual([1, 2]);
    expect(lineIds(effects)).toEqual([1, 2]);
    expect(effects.filter((e) => e.kind === 'lines').map((e) => e.kind === 'lines' && e.live)).toEqual([true, false]);
  });

  it('a line sets its speaker mood and opens a conversation it had not heard of', () => {
    const { state, effects } = run([said(line(1, { conversationId: 'c9', emotion: 'happy' }))], joined());
    expect(state.characters.get('ann')?.mood).toBe('happy');
    expect(state.conversations.get('c9')).toEqual(['ann']);
    expect(effects).toContainEqual({ kind: 'mood', characterId: 'ann', mood: 'happy' });
  });

  it('gap fill after a reconnect: asks for history since the last line seen, adds only what was missed', () => {
    let state = joined();
    ({ state } = run([said(line(1)), said(line(2)), said(line(3)), { type: 'disconnected' }], state));
    // While away, lines 4..7 were said; the conversation with line 7 is still open.
    const snap = snapshot({
      tick: 50,
      conversations: [{ id: 'c1', participants: ['ann', 'bob'], lines: [line(6), line(7)] }],
    });
    const rejoin = run([{ type: 'joinSent' }, { type: 'joined', snapshot: snap }], state);
    expect(rejoin.effects).toContainEqual({ kind: 'fillGap', since: 3 });
    expect(lineIds(rejoin.effects)).toEqual([6, 7]);
    expect(rejoin.effects.find((e) => e.kind === 'snapshot')).toMatchObject({ mapChanged: false });
    // The history page the view then reads (newest first, overlapping on both ends).
    const history = [7, 6, 5, 4, 3, 2].map((id) => line(id));
    const filled = run([{ type: 'history', lines: history }], rejoin.state);
    expect(lineIds(filled.effects)).toEqual([4, 5]);
    expect([...filled.state.lines.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('ignores events and history lines of other scenes', () => {
    const state = joined();
    const other = applyEvent(state, {
      type: 'server',
      event: { name: 'scene:tick', payload: { sceneId: 'elsewhere', tick: 99, characters: [] } },
    });
    expect(other.state).toBe(state);
    const history = applyEvent(state, { type: 'history', lines: [line(1, { sceneId: 'elsewhere' })] });
    expect(history.effects).toEqual([]);
  });

  it('a tick naming an unknown character asks for a resync; a resync older than our tick is ignored', () => {
    const state = joined(snapshot({ tick: 10 }));
    const { state: next, effects } = run(
      [tick(11, [{ id: 'zed', x: 0, y: 0, direction: 'up', action: 'idle', mood: 'calm' }])],
      state,
    );
    expect(effects).toContainEqual({ kind: 'resync' });
    const stale = applyEvent(next, { type: 'resynced', snapshot: snapshot({ tick: 10 }) });
    expect(stale.state).toBe(next);
    const fresh = applyEvent(next, {
      type: 'resynced',
      snapshot: snapshot({ tick: 12, characters: [character('ann'), character('bob'), character('zed')] }),
    });
    expect(fresh.state.characters.has('zed')).toBe(true);
  });

  it('conversation start and end: participants linked, then released', () => {
    const started = run(
      [
        server({
          name: 'conversation:started',
          payload: { sceneId: SCENE, conversationId: 'c2', participants: ['ann', 'bob'] },
        }),
      ],
      joined(),
    );
    expect(started.state.characters.get('bob')?.conversationId).toBe('c2');
    const ended = run(
      [server({ name: 'conversation:ended', payload: { sceneId: SCENE, conversationId: 'c2', reason: 'goodbye' } })],
      started.state,
    );
    expect(ended.state.conversations.has('c2')).toBe(false);
    expect(ended.state.characters.get('bob')?.conversationId).toBeNull();
    expect(ended.effects).toEqual([
      { kind: 'conversationEnded', conversationId: 'c2', participants: ['ann', 'bob'], reason: 'goodbye' },
    ]);
  });

  it('the storyteller resting: from the snapshot or an event, until it is back or a line arrives', () => {
    const resting = joined(snapshot({ storyteller: 'resting' }));
    expect(resting.storyteller).toBe('resting');
    const back = run([said(line(1))], resting);
    expect(back.state.storyteller).toBe('ok');
    expect(back.effects).toContainEqual({ kind: 'storyteller', status: 'ok' });
    const told = run(
      [
        server({ name: 'scene:storyteller', payload: { sceneId: SCENE, status: 'resting' } }),
        server({ name: 'scene:storyteller', payload: { sceneId: SCENE, status: 'resting' } }),
      ],
      back.state,
    );
    expect(told.state.storyteller).toBe('resting');
    expect(told.effects).toEqual([{ kind: 'storyteller', status: 'resting' }]);
    const ok = run([server({ name: 'scene:storyteller', payload: { sceneId: SCENE, status: 'ok' } })], told.state);
    expect(ok.effects).toEqual([{ kind: 'storyteller', status: 'ok' }]);
  });

  it('is pure: the state passed in is never changed', () => {
    const before = joined(snapshot({ conversations: [{ id: 'c1', participants: ['ann', 'bob'], lines: [line(1)] }] }));
    const copy = structuredClone(before);
    run(
      [
        tick(11),
        said(line(2, { emotion: 'angry' })),
        server({ name: 'conversation:ended', payload: { sceneId: SCENE, conversationId: 'c1', reason: 'goodbye' } }),
        { type: 'joinSent' },
        said(line(3)),
      ],
      before,
    );
    expect(before).toEqual(copy);
  });

  it('property: whatever order and repetition lines arrive in, each id is reported once and all are kept', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            ids: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
            live: fc.boolean(),
          }),
          { maxLength: 30 },
        ),
        (deliveries) => {
          const events: LiveEvent[] = deliveries.map((d) =>
            d.live ? said(line(d.ids[0])) : { type: 'history', lines: d.ids.map((id) => line(id)) },
          );
          const { state, effects } = run(events, joined());
          const reported = lineIds(effects);
          expect(new Set(reported).size).toBe(reported.length);
          const delivered = new Set(deliveries.flatMap((d) => (d.live ? [d.ids[0]] : d.ids)));
          expect(new Set(reported)).toEqual(delivered);
          expect(new Set(state.lines.keys())).toEqual(delivered);
        },
      ),
    );
  });
});
