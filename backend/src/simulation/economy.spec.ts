import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { SceneSimulation } from './engine.js';
import type { CharacterSpec, SceneSpec, SimEvent, SimInput, SimOptions } from './types.js';

const SPEC: SceneSpec = {
  id: 'economy',
  name: 'Economy',
  description: '',
  map: ['##########', '#........#', '#........#', '##########'],
  places: { left: [1, 1], right: [8, 2] },
  cast: [
    { id: 'ada', x: 1, y: 1 },
    { id: 'bo', x: 2, y: 1 },
  ],
};
const CAST: CharacterSpec[] = [
  { id: 'ada', name: 'Ada' },
  { id: 'bo', name: 'Bo' },
];
const TICK_MS = 100;
const HOUR_MS = 3_600_000;

type Requested = Extract<SimEvent, { type: 'lineRequested' }>;

/**
 * Drives a scene on a manual clock with an agent that answers every request on the next
 * tick and reports `tokensPerLine` tokens; counts requests per tick.
 */
function harness(options: Partial<SimOptions>, tokensPerLine = 50) {
  const clock = new ManualClock(1_000_000);
  const sim = new SceneSimulation(
    SPEC,
    CAST,
    {
      tickMs: TICK_MS,
      meetChancePerTick: 1,
      cooldownTicks: 2,
      pairCooldownTicks: 2,
      minReadingMs: 100,
      maxReadingMs: 100,
      ...options,
    },
    7,
  );
  let pending: SimInput[] = [];
  const requested: Requested[] = [];
  const all: SimEvent[] = [];
  const tick = (extra: SimInput[] = []) => {
    clock.advance(TICK_MS);
    const result = sim.tick(clock.now(), [...extra, ...pending]);
    pending = [];
    for (const event of result.events) {
      all.push(event);
      if (event.type !== 'lineRequested') continue;
      requested.push(event);
      pending.push({
        type: 'lineResult',
        opId: event.opId,
        say: `line ${event.turn}`,
        emotion: 'calm',
        endConversation: false,
        meta: { promptTokens: tokensPerLine - 10, completionTokens: 10 },
      });
    }
    return result;
  };
  const run = (ticks: number) => {
    for (let i = 0; i < ticks; i++) tick();
  };
  return { sim, clock, tick, run, requested, all };
}

describe('token budget (pure core, fake clock)', () => {
  it('stops requesting lines once the budget is spent and resumes when the window frees', () => {
    // 50 tokens a line, 200 a window: the fourth answered line spends it.
    const h = harness({ budgetTokens: 200, budgetWindowMs: HOUR_MS });
    h.run(200);
    expect(h.sim.tokensSpent(h.clock.now())).toBeGreaterThanOrEqual(200);
    expect(h.sim.budgetExhausted(h.clock.now())).toBe(true);
    const spentAt = h.requested.length;
    // At most the line already asked for when the budget ran out is answered beyond it.
    expect(spentAt).toBeLessThanOrEqual(5);
    expect(h.all).toContainEqual(expect.objectContaining({ type: 'budget', exhausted: true, limit: 200 }));
    expect(h.all.some((e) => e.type === 'conversationEnded' && e.reason === 'budget')).toBe(true);
    expect(h.sim.conversations()).toHaveLength(0);

    // Half an hour later: still spent, still silent.
    for (let i = 0; i < 50; i++) {
      h.clock.advance(HOUR_MS / 100);
      h.tick();
    }
    expect(h.requested.length).toBe(spentAt);

    // Past the hour since the spending: the window frees and the scene talks again.
    h.clock.advance(HOUR_MS);
    h.run(50);
    expect(h.all).toContainEqual(expect.objectContaining({ type: 'budget', exhausted: false }));
    expect(h.requested.length).toBeGreaterThan(spentAt);
  });

  it('never limits a scene without a budget', () => {
    const h = harness({ budgetTokens: 0 }, 10_000);
    h.run(300);
    expect(h.requested.length).toBeGreaterThan(20);
    expect(h.all.some((e) => e.type === 'budget')).toBe(false);
  });

  it('keeps the spending across a restart from a saved state', () => {
    const h = harness({ budgetTokens: 200 });
    h.run(200);
    const restored = SceneSimulation.restore(SPEC, h.sim.getState(), CAST, h.sim.options);
    expect(restored.budgetExhausted(h.clock.now())).toBe(true);
    expect(restored.budgetExhausted(h.clock.now() + HOUR_MS + 1)).toBe(false);
  });
});

describe('audience and LLM availability', () => {
  it('talks less while nobody watches, by the configured factor', () => {
    const count = (visitors: number) => {
      const h = harness({ unwatchedSlowdown: 8, cooldownTicks: 10, pairCooldownTicks: 10 });
      h.tick([{ type: 'audience', visitors }]);
      h.run(600);
      return h.all.filter((e) => e.type === 'conversationStarted').length;
    };
    const watched = count(2);
    const unwatched = count(0);
    expect(watched).toBeGreaterThan(5);
    expect(unwatched).toBeLessThan(watched / 2);
    expect(unwatched).toBeGreaterThan(0);
  });

  it('starts no conversation while the LLM is unavailable, and starts again when it is back', () => {
    const h = harness({});
    h.tick([{ type: 'llmAvailability', available: false }]);
    h.run(100);
    expect(h.requested).toHaveLength(0);
    expect(h.sim.characters().every((c) => c.action !== 'talking')).toBe(true);
    h.tick([{ type: 'llmAvailability', available: true }]);
    h.run(20);
    expect(h.requested.length).toBeGreaterThan(0);
  });

  it('rejects a nonsense visitor count without stopping the tick', () => {
    const h = harness({});
    const result = h.tick([{ type: 'audience', visitors: -1 }]);
    expect(result.events).toContainEqual(expect.objectContaining({ type: 'inputRejected', input: 'audience' }));
  });
});
