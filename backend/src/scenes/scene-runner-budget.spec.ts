import { Logger } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GeneratedLine, LineRequest } from '../agents/dialogue.service.js';
import type { CharacterDefinition } from '../characters/character-definition.js';
import type { TickBatch } from './tick-batch.js';
import { SceneSimulation } from '../simulation/engine.js';
import type { SceneSpec } from '../simulation/types.js';
import { SceneEventsService } from './scene-events.service.js';
import { SceneRunner } from './scene-runner.js';

const TICK_MS = 100;
const WINDOW_MS = 60_000;
const SPEC: SceneSpec = {
  id: 'b',
  name: 'B',
  description: '',
  map: ['######', '#....#', '######'],
  places: { a: [1, 1], b: [4, 1] },
  cast: [
    { id: 'ada', x: 1, y: 1 },
    { id: 'bo', x: 2, y: 1 },
  ],
};
const def = (id: string): CharacterDefinition => ({
  id,
  name: id,
  sprite: { skin: '#000000', hair: '#000000', shirt: '#000000', pants: '#000000' },
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

describe('SceneRunner with a token budget, on a fake clock', () => {
  beforeEach(() => vi.useFakeTimers({ now: 5_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('stops asking for lines once the budget is spent and asks again when the window frees', async () => {
    const sim = new SceneSimulation(
      SPEC,
      [
        { id: 'ada', name: 'ada' },
        { id: 'bo', name: 'bo' },
      ],
      {
        tickMs: TICK_MS,
        meetChancePerTick: 1,
        cooldownTicks: 3,
        pairCooldownTicks: 3,
        minReadingMs: 200,
        maxReadingMs: 200,
        budgetTokens: 300,
        budgetWindowMs: WINDOW_MS,
      },
      3,
    );
    const calls: number[] = [];
    const runner = new SceneRunner(SPEC, sim, {
      clock: { now: () => Date.now() },
      tickMs: TICK_MS,
      logger: new Logger('budget-test'),
      events: new SceneEventsService(),
      character: def,
      memories: async () => [],
      generate: async (request: LineRequest): Promise<GeneratedLine> => {
        calls.push(Date.now());
        return {
          say: `line ${request.turn}`,
          emotion: 'calm',
          action: null,
          endConversation: false,
          model: 'fake:x',
          usage: { promptTokens: 80, completionTokens: 20 },
          latencyMs: 1,
        };
      },
      commit: async (batch: TickBatch) => batch.lines.map((l, i) => ({ ...l, id: i + 1 })),
      visitors: () => 1,
      llmAvailable: () => true,
    });
    runner.start();
    await vi.advanceTimersByTimeAsync(20_000);
    // 100 tokens a line, 300 a window: three answers spend it; the call already out is the last.
    expect(calls.length).toBeGreaterThanOrEqual(3);
    expect(calls.length).toBeLessThanOrEqual(4);
    const spentAt = calls.length;
    const firstCall = calls[0];
    expect(sim.budgetExhausted(Date.now())).toBe(true);

    // Until the first spending leaves the window, nothing more is asked.
    await vi.advanceTimersByTimeAsync(firstCall + WINDOW_MS - Date.now() - 1_000);
    expect(calls.length).toBe(spentAt);

    await vi.advanceTimersByTimeAsync(20_000);
    expect(calls.length).toBeGreaterThan(spentAt);
    expect(calls[spentAt]).toBeGreaterThanOrEqual(firstCall + WINDOW_MS);
    await runner.stop();
  });
});
