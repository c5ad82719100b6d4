import { Logger } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GeneratedLine, LineRequest } from '../agents/dialogue.service.js';
import type { CharacterDefinition } from '../characters/character-definition.js';
import type { TickBatch } from './tick-batch.js';
import { SceneSimulation } from '../simulation/engine.js';
import type { SceneSpec, SimOptions } from '../simulation/types.js';
import { SceneEventsService } from './scene-events.service.js';
import { SceneRunner, type SceneRunnerDeps } from './scene-runner.js';

const TICK_MS = 10;
const SPEC: SceneSpec = {
  id: 's',
  name: 'S',
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
  name: id.toUpperCase(),
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

function setup(overrides: Partial<SceneRunnerDeps> = {}, simOptions: Partial<SimOptions> = {}) {
  const sim = new SceneSimulation(
    SPEC,
    [
      { id: 'ada', name: 'ADA' },
      { id: 'bo', name: 'BO' },
    ],
    {
      tickMs: TICK_MS,
      meetChancePerTick: 1,
      minReadingMs: 30,
      maxReadingMs: 30,
      readingCharsPerSecond: 1000,
      ...simOptions,
    },
    1,
  );
  const events = new SceneEventsService();
  const published: { name: string; payload: unknown }[] = [];
  events.all().subscribe((e) => published.push({ name: e.event.name, payload: e.event.payload }));
  const log: string[] = [];
  let nextId = 1;
  const deps: SceneRunnerDeps = {
    clock: { now: () => Date.now() },
    tickMs: TICK_MS,
    logger: new Logger('test'),
    events,
    character: (id) => def(id),
    memories: async () => [],
    generate: async (request: LineRequest): Promise<GeneratedLine> => ({
      say: `${request.speaker.id} turn ${request.turn}`,
      emotion: 'happy',
      action: null,
      endConversation: false,
      model: 'fake',
      usage: { promptTokens: 1, completionTokens: 1 },
      latencyMs: 1,
    }),
    commit: async (batch: TickBatch) => {
      log.push(`commit ${batch.lines.map((l) => l.text).join(',')}`);
      return batch.lines.map((l) => ({ ...l, id: nextId++ }));
    },
    ...overrides,
  };
  const runner = new SceneRunner(SPEC, sim, deps);
  return { runner, sim, published, log, events };
}

describe('SceneRunner', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('keeps ticking while the model never answers', async () => {
    const { runner, sim } = setup({ generate: () => new Promise<GeneratedLine>(() => {}) });
    runner.start();
    await vi.advanceTimersByTimeAsync(50 * TICK_MS);
    expect(sim.tickCount).toBeGreaterThanOrEqual(49);
    expect(runner.pendingCalls).toBe(1);
    expect(sim.characters().find((c) => c.id === 'ada')!.action).toBe('thinking');
    await runner.stop();
  });

  it('publishes a line only after its commit, with the stored id', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const order: string[] = [];
    const { runner, published } = setup({
      commit: async (batch) => {
        if (batch.lines.length > 0) {
          await gate;
          order.push('committed');
        }
        return batch.lines.map((l, i) => ({ ...l, id: 100 + i }));
      },
    });
    runner.start();
    await vi.advanceTimersByTimeAsync(5 * TICK_MS);
    expect(published.filter((e) => e.name === 'conversation:line')).toHaveLength(0);
    release();
    await vi.advanceTimersByTimeAsync(TICK_MS);
    const line = published.find((e) => e.name === 'conversation:line');
    expect(line?.payload).toMatchObject({ lineId: 100, characterId: 'ada', text: 'ada turn 0' });
    expect(order[0]).toBe('committed');
    await runner.stop();
  });

  it('broadcasts nothing of a tick whose commit failed, and goes on', async () => {
    let fail = true;
    const { runner, published, sim } = setup({
      commit: async (batch) => {
        if (fail && batch.lines.length > 0) throw new Error('disk full');
        return batch.lines.map((l, i) => ({ ...l, id: 1 + i }));
      },
    });
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => {});
    runner.start();
    await vi.advanceTimersByTimeAsync(6 * TICK_MS);
    expect(published.filter((e) => e.name === 'conversation:line')).toHaveLength(0);
    fail = false;
    const before = sim.tickCount;
    await vi.advanceTimersByTimeAsync(10 * TICK_MS);
    expect(sim.tickCount).toBeGreaterThan(before);
    expect(published.filter((e) => e.name === 'conversation:line').length).toBeGreaterThan(0);
    await runner.stop();
  });

  it('a tick whose commit failed is written with the next one: its conversation start, lines and positions are kept', async () => {
    const committed: TickBatch[] = [];
    let failures = 0;
    const { runner, published } = setup({
      commit: async (batch) => {
        // The database refuses the tick that starts the first conversation, once.
        if (batch.started.length > 0 && failures === 0) {
          failures++;
          throw new Error('database is locked');
        }
        committed.push(batch);
        return batch.lines.map((l, i) => ({ ...l, id: committed.length * 100 + i }));
      },
    });
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => {});
    runner.start();
    await vi.advanceTimersByTimeAsync(12 * TICK_MS);
    await runner.stop();
    expect(failures).toBe(1);
    const started = committed.flatMap((b) => b.started.map((c) => c.id));
    const stored = committed.flatMap((b) => b.lines);
    expect(started).toHaveLength(1);
    // Every stored line belongs to a conversation whose start was stored first.
    for (const line of stored) expect(started).toContain(line.conversationId);
    // The batch that carried the failed tick also saved where everyone stands.
    const carried = committed.find((b) => b.started.length > 0)!;
    expect(carried.state).toBeDefined();
    // Viewers heard of it, in order: the start before its lines.
    const names = published.map((e) => e.name);
    expect(names).toContain('conversation:started');
    expect(names.indexOf('conversation:started')).toBeLessThan(names.indexOf('conversation:line'));
    const ticks = published.filter((e) => e.name === 'scene:tick').map((e) => (e.payload as { tick: number }).tick);
    expect(ticks).toEqual([...ticks].sort((a, b) => a - b));
  });

  it('on stop aborts calls in flight, ends conversations, and drops late answers', async () => {
    let signal: AbortSignal | undefined;
    let answer!: (line: GeneratedLine) => void;
    const { runner, sim, published, log } = setup({
      generate: (_request, s) => {
        signal = s;
        return new Promise<GeneratedLine>((r) => (answer = r));
      },
    });
    runner.start();
    await vi.advanceTimersByTimeAsync(3 * TICK_MS);
    await runner.stop('paused');
    expect(signal?.aborted).toBe(true);
    expect(published).toContainEqual({
      name: 'conversation:ended',
      payload: expect.objectContaining({ reason: 'paused' }),
    });
    const tick = sim.tickCount;
    answer({
      say: 'too late',
      emotion: 'sad',
      action: null,
      endConversation: false,
      model: 'fake',
      usage: { promptTokens: 0, completionTokens: 0 },
      latencyMs: 0,
    });
    await vi.advanceTimersByTimeAsync(10 * TICK_MS);
    expect(sim.tickCount).toBe(tick);
    expect(log.join()).not.toContain('too late');
  });

  it('aborts a call in flight whose conversation ended without it, so its LLM slot is given back', async () => {
    let signal: AbortSignal | undefined;
    const { runner, published } = setup({
      generate: (_request, s) => {
        signal = s;
        return new Promise<GeneratedLine>(() => {});
      },
    });
    runner.start();
    await vi.advanceTimersByTimeAsync(3 * TICK_MS);
    expect(signal?.aborted).toBe(false);
    runner.enqueue({ type: 'characterLeft', characterId: 'bo' });
    await vi.advanceTimersByTimeAsync(2 * TICK_MS);
    expect(published).toContainEqual({
      name: 'conversation:ended',
      payload: expect.objectContaining({ reason: 'left' }),
    });
    expect(signal?.aborted).toBe(true);
    expect(runner.pendingCalls).toBe(0);
    await runner.stop();
  });

  it("gives the dialogue service only what is left of the line's deadline, engine retries included", async () => {
    const budgets: (number | undefined)[] = [];
    const lineTimeoutMs = 40 * TICK_MS;
    const { runner } = setup(
      {
        generate: (request) => {
          budgets.push(request.budgetMs);
          // The first call fails at once; the retry never answers.
          return budgets.length === 1 ? Promise.reject(new Error('junk')) : new Promise<GeneratedLine>(() => {});
        },
      },
      { lineTimeoutMs, lineRetries: 1 },
    );
    runner.start();
    await vi.advanceTimersByTimeAsync(5 * TICK_MS);
    expect(budgets).toHaveLength(2);
    // The engine's deadline keeps two ticks of margin for the answer to come back as an input.
    expect(budgets[0]).toBe(lineTimeoutMs - 2 * TICK_MS);
    expect(budgets[1]).toBeLessThan(budgets[0]!);
    expect(budgets[1]).toBeGreaterThan(0);
    await runner.stop();
  });

  it('saves the resumable state every 20 ticks', async () => {
    const states: number[] = [];
    const { runner } = setup({
      generate: () => new Promise<GeneratedLine>(() => {}),
      commit: async (batch) => {
        if (batch.state) states.push(batch.tick);
        return [];
      },
    });
    runner.start();
    await vi.advanceTimersByTimeAsync(45 * TICK_MS);
    expect(states.slice(0, 2)).toEqual([20, 40]);
    await runner.stop();
  });
});
