import { describe, expect, it } from 'vitest';
import { SceneSimulation } from './engine.js';
import type { CharacterSpec, SceneSpec, SimEvent, SimInput, SimOptions, TickResult } from './types.js';

const MAP = ['##########', '#........#', '#..~~....#', '#..~~..T.#', '#........#', '##########'];
const SPEC: SceneSpec = {
  id: 'test',
  name: 'Test',
  description: '',
  map: MAP,
  places: { well: [1, 1], corner: [8, 4], middle: [5, 2] },
  cast: [
    { id: 'ada', x: 1, y: 1 },
    { id: 'bo', x: 2, y: 1 },
  ],
};
const CHARACTERS: CharacterSpec[] = [
  { id: 'ada', name: 'Ada' },
  { id: 'bo', name: 'Bo' },
  { id: 'cy', name: 'Cy' },
];
const TICK_MS = 100;

type Requested = Extract<SimEvent, { type: 'lineRequested' }>;

/** A fake agent that answers each request after `delayTicks` ticks, deterministically. */
function runWithFakeAgent(
  sim: SceneSimulation,
  ticks: number,
  delayTicks: number,
  reply: (r: Requested) => Partial<Extract<SimInput, { type: 'lineResult' }>> = () => ({}),
) {
  const queue: { dueTick: number; input: SimInput }[] = [];
  const results: TickResult[] = [];
  for (let t = 1; t <= ticks; t++) {
    const due = queue.filter((q) => q.dueTick <= t);
    for (const d of due) queue.splice(queue.indexOf(d), 1);
    const result = sim.tick(
      t * TICK_MS,
      due.map((d) => d.input),
    );
    results.push(result);
    for (const event of result.events) {
      if (event.type !== 'lineRequested') continue;
      queue.push({
        dueTick: t + delayTicks,
        input: {
          type: 'lineResult',
          opId: event.opId,
          say: `${event.speakerId} says line ${event.turn} to ${event.partnerId}`,
          emotion: event.turn % 2 ? 'happy' : 'curious',
          endConversation: event.turn >= 5,
          ...reply(event),
        },
      });
    }
  }
  return results;
}

const events = (results: TickResult[]) => results.flatMap((r) => r.events);
const fastOptions: Partial<SimOptions> = {
  tickMs: TICK_MS,
  minReadingMs: 300,
  maxReadingMs: 600,
  readingCharsPerSecond: 100,
};

describe('SceneSimulation', () => {
  it('gives identical states for the same seed and inputs over 1,000 ticks', () => {
    const threeCast = { ...SPEC, cast: [...SPEC.cast, { id: 'cy', x: 8, y: 4 }] };
    const a = new SceneSimulation(threeCast, CHARACTERS, fastOptions, 42);
    const b = new SceneSimulation(threeCast, CHARACTERS, fastOptions, 42);
    const ra = runWithFakeAgent(a, 1000, 3);
    const rb = runWithFakeAgent(b, 1000, 3);
    expect(a.getState()).toEqual(b.getState());
    expect(ra).toEqual(rb);
    // The run is not trivially still: characters walked and talked.
    const shown = events(ra).filter((e) => e.type === 'lineShown');
    expect(shown.length).toBeGreaterThan(20);
    expect(new Set(shown.map((e) => e.type === 'lineShown' && e.characterId)).size).toBe(3);
    expect(ra.some((r) => r.changed.some((c) => c.action === 'walking'))).toBe(true);
    // A different seed gives a different scene.
    const c = new SceneSimulation(threeCast, CHARACTERS, fastOptions, 7);
    runWithFakeAgent(c, 1000, 3);
    expect(c.getState()).not.toEqual(a.getState());
  });

  it('starts a conversation between neighbours and asks the initiator for a line', () => {
    const sim = new SceneSimulation(SPEC, CHARACTERS, { ...fastOptions, meetChancePerTick: 1 });
    const result = sim.tick(TICK_MS);
    const started = result.events.find((e) => e.type === 'conversationStarted');
    expect(started).toMatchObject({ type: 'conversationStarted', participants: ['ada', 'bo'] });
    const requested = result.events.find((e) => e.type === 'lineRequested') as Requested;
    expect(requested).toMatchObject({ speakerId: 'ada', partnerId: 'bo', turn: 0, history: [] });
    expect(result.events.some((e) => e.type === 'typing' && e.characterId === 'ada')).toBe(true);
    expect(sim.characters().every((c) => c.action === 'talking' && c.conversationId === started!.conversationId)).toBe(
      true,
    );
    // They face each other.
    expect(sim.characters().find((c) => c.id === 'ada')!.direction).toBe('right');
    expect(sim.characters().find((c) => c.id === 'bo')!.direction).toBe('left');
  });

  it('takes turns, requests the reply while a line is read, and ends on goodbye after the reading time', () => {
    const sim = new SceneSimulation(SPEC, CHARACTERS, {
      ...fastOptions,
      meetChancePerTick: 1,
      minReadingMs: 500,
      maxReadingMs: 500,
    });
    const results = runWithFakeAgent(sim, 80, 1, (r) => ({ endConversation: r.turn === 3 }));
    const all = events(results);
    const firstConversation = (
      all.find((e) => e.type === 'conversationStarted') as Extract<SimEvent, { type: 'conversationStarted' }>
    ).conversationId;
    const lines = all.filter(
      (e): e is Extract<SimEvent, { type: 'lineShown' }> =>
        e.type === 'lineShown' && e.conversationId === firstConversation,
    );
    expect(lines.map((l) => l.characterId)).toEqual(['ada', 'bo', 'ada', 'bo']);
    // Each reply is requested in the very tick the previous line is shown (prefetch).
    for (const line of lines.slice(0, 3)) {
      const tick = results.find((r) => r.events.includes(line))!;
      expect(tick.events.some((e) => e.type === 'lineRequested' && e.history.at(-1)?.text === line.text)).toBe(true);
    }
    // Lines are spaced by reading time (500 ms = 5 ticks), not by reading time plus latency.
    const gaps = lines.slice(1).map((l, i) => l.at - lines[i].at);
    expect(gaps).toEqual([500, 500, 500]);
    const ended = all.find((e) => e.type === 'conversationEnded' && e.conversationId === firstConversation) as Extract<
      SimEvent,
      { type: 'conversationEnded' }
    >;
    expect(ended.reason).toBe('goodbye');
    expect(ended.tick * TICK_MS).toBeGreaterThanOrEqual(lines[3].at + 500);
  });

  it('shows the next line at the tick nearest to the end of the reading time', () => {
    // Reading time 2,100 ms with 500 ms ticks: due at the tick 2,000 ms on, not 2,500.
    const sim = new SceneSimulation(SPEC, CHARACTERS, {
      tickMs: 500,
      meetChancePerTick: 1,
      minReadingMs: 2_100,
      maxReadingMs: 2_100,
    });
    const shown: number[] = [];
    let pending: Requested | undefined;
    for (let t = 1; t <= 30 && shown.length < 3; t++) {
      const inputs: SimInput[] = pending
        ? [{ type: 'lineResult', opId: pending.opId, say: 'A line.', emotion: 'calm', endConversation: false }]
        : [];
      pending = undefined;
      const result = sim.tick(t * 500, inputs);
      for (const e of result.events) {
        if (e.type === 'lineShown') shown.push(e.at);
        if (e.type === 'lineRequested') pending = e;
      }
    }
    expect(shown.slice(1).map((at, i) => at - shown[i])).toEqual([2_000, 2_000]);
  });

  it('ends after the maximum number of turns', () => {
    const sim = new SceneSimulation(SPEC, CHARACTERS, { ...fastOptions, meetChancePerTick: 1, maxTurns: 3 });
    const all = events(runWithFakeAgent(sim, 60, 1, () => ({ endConversation: false })));
    const ended = all.find((e) => e.type === 'conversationEnded');
    expect(ended).toMatchObject({ reason: 'max-turns' });
    const conversationId = (ended as Extract<SimEvent, { type: 'conversationEnded' }>).conversationId;
    expect(all.filter((e) => e.type === 'lineShown' && e.conversationId === conversationId)).toHaveLength(3);
  });

  it('puts both on cooldown after a conversation, and the same pair waits longer', () => {
    const sim = new SceneSimulation(SPEC, CHARACTERS, {
      ...fastOptions,
      meetChancePerTick: 1,
      approachChance: 0,
      maxTurns: 2,
      cooldownTicks: 30,
      pairCooldownTicks: 1_000,
      idleTicks: [1000, 1000],
    });
    const results = runWithFakeAgent(sim, 300, 1, () => ({ endConversation: false }));
    const all = events(results);
    const ended = all.filter(
      (e): e is Extract<SimEvent, { type: 'conversationEnded' }> => e.type === 'conversationEnded',
    );
    expect(ended).toHaveLength(1);
    const starts = all.filter((e) => e.type === 'conversationStarted');
    expect(starts).toHaveLength(1);
    for (const c of sim.characters()) expect(c.cooldownUntilTick).toBe(ended[0].tick + 30);
  });

  it('drops stale and late results without touching the conversation', () => {
    const sim = new SceneSimulation(SPEC, CHARACTERS, {
      ...fastOptions,
      meetChancePerTick: 1,
      lineTimeoutMs: 1_000,
      lineRetries: 1,
    });
    const first = sim.tick(100);
    const req = first.events.find((e) => e.type === 'lineRequested') as Requested;
    // A result for an operation nobody asked for is dropped as stale.
    const stale = sim.tick(200, [
      { type: 'lineResult', opId: 'nope', say: 'hi', emotion: 'happy', endConversation: false },
    ]);
    expect(stale.events).toContainEqual({ type: 'opDropped', opId: 'nope', reason: 'stale' });
    // Past the deadline the request is dropped and retried once with a new id.
    const late = sim.tick(100 + 1_001);
    expect(late.events).toContainEqual({ type: 'opDropped', opId: req.opId, reason: 'timeout' });
    const retry = late.events.find((e) => e.type === 'lineRequested') as Requested;
    expect(retry.opId).not.toBe(req.opId);
    // The late answer to the first request arrives now: it is stale, never shown.
    const after = sim.tick(1_200, [
      { type: 'lineResult', opId: req.opId, say: 'too late', emotion: 'sad', endConversation: false },
    ]);
    expect(after.events).toContainEqual({ type: 'opDropped', opId: req.opId, reason: 'stale' });
    expect(after.events.some((e) => e.type === 'lineShown')).toBe(false);
    // The retry times out too: the conversation ends, and both are free to walk.
    const end = sim.tick(1_101 + 1_001 + 1);
    expect(end.events).toContainEqual(expect.objectContaining({ type: 'conversationEnded', reason: 'timeout' }));
    expect(sim.conversations()).toHaveLength(0);
    expect(sim.characters().every((c) => c.conversationId === null)).toBe(true);
  });

  it('shows a thinking speaker when the reply is slower than the reading time', () => {
    const sim = new SceneSimulation(SPEC, CHARACTERS, { ...fastOptions, meetChancePerTick: 1 });
    sim.tick(100);
    sim.tick(200);
    expect(sim.characters().find((c) => c.id === 'ada')!.action).toBe('thinking');
  });

  it('keeps ticking when one input is bad, applying the good ones', () => {
    const sim = new SceneSimulation(SPEC, CHARACTERS, { ...fastOptions, meetChancePerTick: 0 });
    const result = sim.tick(100, [
      { type: 'characterLeft', characterId: 'ghost' },
      { type: 'characterJoined', character: { id: 'cy', name: 'Cy' }, x: 0, y: 0 },
      { type: 'bogus' } as unknown as SimInput,
      { type: 'characterJoined', character: { id: 'cy', name: 'Cy' }, x: 8, y: 4 },
    ]);
    expect(result.events.filter((e) => e.type === 'inputRejected')).toHaveLength(3);
    expect(sim.characters().map((c) => c.id)).toEqual(['ada', 'bo', 'cy']);
    expect(result.tick).toBe(1);
  });

  it('ends a conversation when a participant leaves', () => {
    const sim = new SceneSimulation(SPEC, CHARACTERS, { ...fastOptions, meetChancePerTick: 1 });
    sim.tick(100);
    const result = sim.tick(200, [{ type: 'characterLeft', characterId: 'bo' }]);
    expect(result.events).toContainEqual(expect.objectContaining({ type: 'conversationEnded', reason: 'left' }));
    expect(sim.characters().map((c) => c.id)).toEqual(['ada']);
  });

  it('reports only the characters whose visible state changed', () => {
    const sim = new SceneSimulation(SPEC, CHARACTERS, {
      ...fastOptions,
      meetChancePerTick: 0,
      approachChance: 0,
      idleTicks: [50, 50],
    });
    expect(sim.tick(100).changed.map((c) => c.id)).toEqual(['ada', 'bo']);
    const quiet = sim.tick(200);
    expect(quiet.changed).toEqual([]);
  });

  it('restores from a saved state with its tick and rng, dropping open conversations', () => {
    const sim = new SceneSimulation(SPEC, CHARACTERS, fastOptions, 5);
    runWithFakeAgent(sim, 57, 2);
    const saved = sim.getState();
    const twin = SceneSimulation.restore(SPEC, saved, CHARACTERS, fastOptions);
    expect(twin.tickCount).toBe(57);
    expect(twin.conversations()).toHaveLength(0);
    expect(twin.characters().every((c) => c.action !== 'talking' && c.conversationId === null)).toBe(true);
    const resumed = SceneSimulation.restore(SPEC, saved, CHARACTERS, fastOptions, 90);
    expect(resumed.tick(10_000).tick).toBe(91);
  });
});
