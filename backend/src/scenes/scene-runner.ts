import type { Logger } from '@nestjs/common';
import type { CharacterDefinition } from '../characters/character-definition.js';
import { errorText } from '../common/errors.js';
import type { TickBatch } from './tick-batch.js';
import { toLinePayload } from '../conversations/dto/lines.dto.js';
import type { LineEntity } from '../conversations/line.entity.js';
import type { Clock } from '../simulation/clock.js';
import type { SceneSimulation } from '../simulation/engine.js';
import type { SceneSpec, SimEvent, SimInput, TickResult } from '../simulation/types.js';
import type { GeneratedLine, LineRequest } from '../agents/dialogue.service.js';
import type { StorytellerStatus } from '../contract/events.js';
import type { SceneEventsService } from './scene-events.service.js';

/** Ticks between saves of a scene's resumable state; lines are committed every tick. */
export const STATE_SAVE_EVERY_TICKS = 20;
/**
 * Ticks of a line's deadline kept back from the agent: an answer must arrive as an input
 * before the deadline tick, or the engine drops it as late.
 */
export const ANSWER_MARGIN_TICKS = 2;
/** Lateness after which the loop stops trying to catch up and re-bases its schedule. */
const MAX_CATCH_UP_MS = 2_000;

export interface SceneRunnerDeps {
  clock: Clock;
  tickMs: number;
  logger: Logger;
  events: SceneEventsService;
  character: (id: string) => CharacterDefinition | undefined;
  generate: (request: LineRequest, signal: AbortSignal) => Promise<GeneratedLine>;
  memories: (sceneId: string, speakerId: string, partnerId: string) => Promise<string[]>;
  commit: (batch: TickBatch) => Promise<LineEntity[]>;
  /** Visitors watching now; told to the simulation when it changes. */
  visitors?: () => number;
  /** Whether line requests can be served now (LLM circuit closed, or a fallback); told on change. */
  llmAvailable?: () => boolean;
  /** Whether no model is known to answer (viewers are told the characters rest); defaults to !llmAvailable. */
  llmResting?: () => boolean;
  /** After each tick: how late it started and how long `sim.tick` took, in milliseconds. */
  onTick?: (result: TickResult, lateMs: number, durationMs: number) => void;
}

/**
 * Runs one scene: a timer calls `sim.tick`, line requests become LLM calls whose answers
 * come back as inputs at a later tick, and each tick's output is committed, then
 * broadcast, through one ordered outbox. The tick itself never awaits anything.
 */
export class SceneRunner {
  private timer: NodeJS.Timeout | null = null;
  private nextAt = 0;
  private inputs: SimInput[] = [];
  private readonly inflight = new Map<string, AbortController>();
  private outbox: Promise<void> = Promise.resolve();
  private lastSavedTick: number;
  private stopped = true;
  private lastVisitors: number | null = null;
  private lastAvailable: boolean | null = null;
  private lastResting = false;
  /** Ticks whose commit failed, merged, waiting to be written with the next tick. */
  private unstored: { results: TickResult[]; batch: TickBatch } | null = null;

  constructor(
    readonly spec: SceneSpec,
    readonly sim: SceneSimulation,
    private readonly deps: SceneRunnerDeps,
  ) {
    this.lastSavedTick = sim.tickCount;
  }

  get running(): boolean {
    return !this.stopped;
  }

  get pendingCalls(): number {
    return this.inflight.size;
  }

  /** `resting` while no model is known to answer this scene's lines (last seen at a tick). */
  get storyteller(): StorytellerStatus {
    return this.lastResting ? 'resting' : 'ok';
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.nextAt = this.deps.clock.now() + this.deps.tickMs;
    this.schedule();
  }

  /** Queues an input for the next tick (character edits, joins, leaves). */
  enqueue(input: SimInput): void {
    this.inputs.push(input);
  }

  /**
   * Stops ticking, cancels model calls in flight, ends open conversations with `reason`
   * and waits until everything is committed.
   */
  async stop(reason: 'paused' | 'interrupted' = 'paused'): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const controller of this.inflight.values()) controller.abort();
    this.inflight.clear();
    const now = this.deps.clock.now();
    const events = this.sim.endAll(reason);
    this.dispatch({ tick: this.sim.tickCount, now, changed: this.sim.views(), events }, true);
    await this.flush();
  }

  /** Resolves once everything queued so far is committed and broadcast. */
  flush(): Promise<void> {
    return this.outbox;
  }

  private schedule(): void {
    const delay = Math.max(0, this.nextAt - this.deps.clock.now());
    this.timer = setTimeout(() => this.step(), delay);
  }

  /** One tick: synchronous apart from what it hands to the outbox and the agents. */
  step(): void {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    const lateMs = Math.max(0, now - this.nextAt);
    this.observeConditions();
    const inputs = this.inputs;
    this.inputs = [];
    let result: TickResult;
    const started = performance.now();
    try {
      result = this.sim.tick(now, inputs);
    } catch (error) {
      // A bug in one tick must not kill the scene: log it and keep the clock going.
      this.deps.logger.error(`Tick failed in scene ${this.spec.id}: ${errorText(error)}`);
      this.advanceSchedule(now);
      return;
    }
    this.abortAbandoned();
    for (const event of result.events) {
      if (event.type === 'lineRequested') this.requestLine(event);
      else if (event.type === 'inputRejected')
        this.deps.logger.warn(`Scene ${this.spec.id}: ${event.input} rejected: ${event.reason}`);
      else if (event.type === 'budget') {
        this.deps.logger.log(
          event.exhausted
            ? `Scene ${this.spec.id}: token budget spent (${event.spent}/${event.limit} this hour); no new conversations until it frees`
            : `Scene ${this.spec.id}: token budget free again (${event.spent}/${event.limit})`,
        );
      }
    }
    const durationMs = performance.now() - started;
    this.dispatch(result, false);
    this.deps.onTick?.(result, lateMs, durationMs);
    this.advanceSchedule(now);
  }

  /** Tells the simulation about visitors and LLM availability when they change. */
  private observeConditions(): void {
    const visitors = this.deps.visitors?.();
    if (visitors !== undefined && visitors !== this.lastVisitors) {
      this.lastVisitors = visitors;
      this.inputs.unshift({ type: 'audience', visitors });
    }
    const available = this.deps.llmAvailable?.();
    if (available !== undefined && available !== this.lastAvailable) {
      if (this.lastAvailable !== null || !available)
        this.deps.logger.log(
          `Scene ${this.spec.id}: ${available ? 'LLM available again, conversations resume' : 'LLM unavailable, characters idle until it is back'}`,
        );
      this.lastAvailable = available;
      this.inputs.unshift({ type: 'llmAvailability', available });
    }
    // Viewers are told, so a quiet scene reads as resting rather than broken.
    const resting = this.deps.llmResting?.() ?? (available === undefined ? false : !available);
    if (resting !== this.lastResting) {
      this.lastResting = resting;
      this.deps.events.publish(this.spec.id, 'scene:storyteller', { sceneId: this.spec.id, status: this.storyteller });
    }
  }

  private advanceSchedule(now: number): void {
    if (this.stopped) return;
    this.nextAt += this.deps.tickMs;
    // After a long stall (a debugger, a suspended laptop) skip the missed ticks.
    if (now - this.nextAt > MAX_CATCH_UP_MS) this.nextAt = now + this.deps.tickMs;
    this.schedule();
  }

  /**
   * Cancels model calls the simulation no longer waits for (the line was late, a participant
   * left, the conversation ended): each gives its LLM slot back to a line that will be used.
   */
  private abortAbandoned(): void {
    for (const [opId, controller] of this.inflight) {
      if (this.sim.isPending(opId)) continue;
      controller.abort(new Error('the conversation no longer waits for this line'));
      this.inflight.delete(opId);
    }
  }

  private requestLine(event: Extract<SimEvent, { type: 'lineRequested' }>): void {
    const controller = new AbortController();
    this.inflight.set(event.opId, controller);
    const run = async (): Promise<SimInput> => {
      const speaker = this.deps.character(event.speakerId);
      const partner = this.deps.character(event.partnerId);
      if (!speaker || !partner) return { type: 'lineFailed', opId: event.opId, error: 'character no longer defined' };
      const mood = this.sim.characters().find((c) => c.id === speaker.id)?.mood ?? 'calm';
      const memories = await this.deps.memories(this.spec.id, speaker.id, partner.id);
      const line = await this.deps.generate(
        {
          sceneId: this.spec.id,
          opId: event.opId,
          speaker,
          partner,
          mood,
          place: event.place,
          sceneDescription: this.spec.description,
          history: event.history.map((l) => ({ characterId: l.characterId, text: l.text })),
          memories,
          turn: event.turn,
          maxTurns: event.maxTurns,
          budgetMs: Math.max(0, event.deadline - this.deps.clock.now() - ANSWER_MARGIN_TICKS * this.deps.tickMs),
        },
        controller.signal,
      );
      return {
        type: 'lineResult',
        opId: event.opId,
        say: line.say,
        emotion: line.emotion,
        action: line.action,
        endConversation: line.endConversation,
        meta: {
          model: line.model,
          promptTokens: line.usage.promptTokens,
          completionTokens: line.usage.completionTokens,
          latencyMs: line.latencyMs,
        },
      };
    };
    // Never rejects: every failure becomes a `lineFailed` input for the next tick.
    void run()
      .catch((error: unknown): SimInput => ({ type: 'lineFailed', opId: event.opId, error: (error as Error).message }))
      .then((input) => {
        // The answer waits for the next tick; a cancelled call's answer is simply dropped.
        if (this.inflight.get(event.opId) === controller) {
          this.inflight.delete(event.opId);
          this.inputs.push(input);
        }
      });
  }

  /** Queues a tick's output: commit what must survive a crash, then broadcast it all. */
  private dispatch(result: TickResult, forceSave: boolean): void {
    const sceneId = this.spec.id;
    const batch: TickBatch = { sceneId, tick: result.tick, started: [], lines: [], ended: [] };
    for (const event of result.events) {
      if (event.type === 'conversationStarted') {
        batch.started.push({
          id: event.conversationId,
          sceneId,
          participants: [...event.participants],
          place: event.place,
          startedTick: event.tick,
          startedAt: result.now,
        });
      } else if (event.type === 'lineShown') {
        const meta = event.meta ?? {};
        const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : null);
        batch.lines.push({
          sceneId,
          conversationId: event.conversationId,
          characterId: event.characterId,
          text: event.text,
          emotion: event.emotion,
          action: event.action,
          tick: event.tick,
          at: event.at,
          model: typeof meta.model === 'string' ? meta.model : null,
          promptTokens: num(meta.promptTokens),
          completionTokens: num(meta.completionTokens),
          latencyMs: num(meta.latencyMs),
        });
      } else if (event.type === 'conversationEnded') {
        batch.ended.push({
          id: event.conversationId,
          endedTick: event.tick,
          endedAt: result.now,
          endReason: event.reason,
        });
      }
    }
    // After a failed commit the next batch also saves the whole state: whatever the lost
    // write held of positions is then on disk again, whatever ticks come between.
    const saveDue = forceSave || this.unstored !== null || result.tick - this.lastSavedTick >= STATE_SAVE_EVERY_TICKS;
    if (saveDue) {
      batch.state = this.sim.getState();
      this.lastSavedTick = result.tick;
    }
    const mustCommit = saveDue || batch.started.length > 0 || batch.lines.length > 0 || batch.ended.length > 0;
    this.outbox = this.outbox.then(async () => {
      // Ticks whose commit failed go again with this one, first, in one batch.
      const pending = this.unstored;
      const results = pending ? [...pending.results, result] : [result];
      const merged = pending ? mergeBatches(pending.batch, batch) : batch;
      let stored: LineEntity[] = [];
      if (mustCommit || pending) {
        try {
          stored = await this.deps.commit(merged);
        } catch (error) {
          // Nothing unstored is shown: a visitor never sees a line the database lost. Nor is
          // it dropped: a conversation's start row must precede its lines, so the whole
          // tick waits and is written with the next.
          this.unstored = { results, batch: merged };
          this.deps.logger.error(
            `Scene ${sceneId}: commit of tick ${result.tick} failed (${results.length} tick(s) waiting, ${merged.lines.length} line(s)); retried with the next tick: ${(error as Error).message}`,
          );
          return;
        }
      }
      if (pending)
        this.deps.logger.log(`Scene ${sceneId}: ${results.length} tick(s) that waited for the database are stored`);
      this.unstored = null;
      let offset = 0;
      for (const r of results) {
        const count = r.events.filter((e) => e.type === 'lineShown').length;
        this.broadcast(r, stored.slice(offset, offset + count));
        offset += count;
      }
    });
  }

  private broadcast(result: TickResult, stored: LineEntity[]): void {
    const { events } = this.deps;
    const sceneId = this.spec.id;
    if (result.changed.length > 0)
      events.publish(sceneId, 'scene:tick', { sceneId, tick: result.tick, characters: result.changed });
    let lineIndex = 0;
    for (const event of result.events) {
      switch (event.type) {
        case 'conversationStarted':
          events.publish(sceneId, 'conversation:started', {
            sceneId,
            conversationId: event.conversationId,
            participants: [...event.participants],
          });
          break;
        case 'lineShown': {
          const line = stored[lineIndex++];
          if (!line) break;
          events.publish(sceneId, 'conversation:line', toLinePayload(line));
          break;
        }
        case 'typing':
          events.publish(sceneId, 'conversation:typing', { sceneId, characterId: event.characterId });
          break;
        case 'conversationEnded':
          events.publish(sceneId, 'conversation:ended', {
            sceneId,
            conversationId: event.conversationId,
            reason: event.reason,
          });
          break;
        default:
          break;
      }
    }
  }
}

/** Two ticks' writes as one batch, the earlier first; the later tick (and newest state) wins. */
function mergeBatches(earlier: TickBatch, later: TickBatch): TickBatch {
  return {
    sceneId: later.sceneId,
    tick: later.tick,
    started: [...earlier.started, ...later.started],
    lines: [...earlier.lines, ...later.lines],
    ended: [...earlier.ended, ...later.ended],
    state: later.state ?? earlier.state,
  };
}
