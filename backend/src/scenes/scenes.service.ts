import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ConflictException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleInit,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DialogueService, LineGenerationError } from '../agents/dialogue.service.js';
import type { Subscription } from 'rxjs';
import { CharactersService, type CharacterChange } from '../characters/characters.service.js';
import { fieldError } from '../common/field-error.js';
import { KeyedSerial } from '../common/keyed-serial.js';
import { AppConfig } from '../config/app-config.js';
import type { SceneSnapshot, SceneSummary } from '../contract/events.js';
import { ConversationsService } from '../conversations/conversations.service.js';
import { withLogContext } from '../logging/log-context.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { Clock } from '../simulation/clock.js';
import { SceneSimulation, seedFor } from '../simulation/engine.js';
import type { CharacterSpec, SceneSpec, SimOptions } from '../simulation/types.js';
import { SCENE_CLOCK } from './scene-clock.js';
import { SceneEventsService } from './scene-events.service.js';
import { SceneFileError, parseSceneFile } from './scene-file.js';
import { ANSWER_MARGIN_TICKS, SceneRunner } from './scene-runner.js';
import type { SceneEntity } from './scene.entity.js';
import { ScenesRepository } from './scenes.repository.js';
import { TickBatchWriter } from './tick-batch.js';

export type SceneDefinition = Pick<SceneSpec, 'id' | 'name' | 'description' | 'map' | 'places' | 'cast'>;
export type SceneChange = Partial<Omit<SceneDefinition, 'id'>>;

/** The token budget (LLM_BUDGET_TOKENS_PER_HOUR) is per sliding hour. */
const BUDGET_WINDOW_MS = 3_600_000;

/**
 * Owns the running scenes: loads scene files at boot, resumes every scene from the
 * database where it was, and answers what visitors ask about them.
 */
@Injectable()
export class ScenesService
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(ScenesService.name);
  private readonly runners = new Map<string, SceneRunner>();
  /**
   * Create, update, pause, resume and delete of one scene run one at a time: each reads the
   * runner, awaits its stop and may start another, so two that overlap would each start
   * one, and the first would tick on outside the map where nothing could stop it.
   */
  private readonly lifecycle = new KeyedSerial();
  /** Set at shutdown: no lifecycle change starts a runner after that. */
  private closing = false;
  private characterChanges: Subscription | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly repository: ScenesRepository,
    private readonly characters: CharactersService,
    private readonly conversations: ConversationsService,
    private readonly dialogue: DialogueService,
    private readonly events: SceneEventsService,
    @Inject(SCENE_CLOCK) private readonly clock: Clock,
    private readonly metrics: MetricsService,
    private readonly ticks: TickBatchWriter,
  ) {}

  /**
   * Before any module's bootstrap: hear of character changes from the start (the
   * characters' own bootstrap starts watching their directory).
   */
  onModuleInit(): void {
    this.characterChanges = this.characters.changes$.subscribe((change) => this.applyCharacterChange(change));
  }

  /**
   * Templates, characters and models are up by now (each in its own module's
   * OnModuleInit); this loads the scene files and resumes every scene.
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.loadSceneFiles();
    // One bad row never stops a boot: it is reported with its id and skipped, the rest start.
    for (const entity of await this.repository.findAllReadable((id, error) =>
      this.logger.error(`Scene ${id} (database row scenes/${id}) cannot be read and is skipped: ${errorLine(error)}`),
    ))
      await withLogContext({ sceneId: entity.id }, () => this.resume(entity)).catch((error: unknown) =>
        this.logger.error(`Scene ${entity.id} cannot start and is skipped: ${errorLine(error)}`),
      );
  }

  /**
   * A character file changed. Its new persona needs nothing here: the runner looks the
   * definition up for every line, so the next turn uses it. What the simulation itself
   * knows (name, home, presence) goes in as an input at the next tick, so conversations,
   * lines and memories carry on.
   */
  private applyCharacterChange(change: CharacterChange): void {
    for (const runner of this.runners.values()) {
      const present = runner.sim.characters().some((c) => c.id === change.id);
      if (change.type === 'removed') {
        if (present) runner.enqueue({ type: 'characterLeft', characterId: change.id });
        continue;
      }
      const { definition } = change;
      const spec = { id: definition.id, name: definition.name, home: definition.home ?? undefined };
      if (present) {
        if (
          change.type === 'updated' &&
          (change.previous.name !== definition.name || change.previous.home !== definition.home)
        ) {
          runner.enqueue({ type: 'characterUpdated', character: spec });
        }
        continue;
      }
      const member = runner.spec.cast.find((m) => m.id === change.id);
      if (member) {
        runner.enqueue({ type: 'characterJoined', character: spec, x: member.x, y: member.y });
        this.logger.log(`Scene ${runner.spec.id}: ${change.id} joins (its prompt file appeared)`);
      }
    }
  }

  /**
   * Before the sockets and the database close: stop ticking, drop the model calls in
   * flight, end open conversations as `interrupted` and wait until all of it is committed
   * and broadcast, so viewers see the conversation end and the next start resumes cleanly.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.characterChanges?.unsubscribe();
    // Changes already under way finish first (one may be starting a runner); none start after.
    this.closing = true;
    await this.lifecycle.idle();
    await Promise.all([...this.runners.values()].map((r) => r.stop('interrupted')));
    await this.events.completeAndDrain();
  }

  async onApplicationShutdown(): Promise<void> {
    // Already stopped above; a second stop is a no-op flush, kept for app.close() orders that skip it.
    await Promise.all([...this.runners.values()].map((r) => (r.running ? r.stop('interrupted') : r.flush())));
    this.runners.clear();
  }

  simOptions(): Partial<SimOptions> {
    return {
      tickMs: this.config.tickMs,
      readingCharsPerSecond: this.config.readingCharsPerSecond,
      minReadingMs: this.config.minReadingMs,
      maxReadingMs: Math.max(this.config.minReadingMs, 9_000),
      // A line whose answer is later than its budget plus a margin is dropped. Retries,
      // backoff, fallback and the engine's own retry all fit inside this one deadline.
      lineTimeoutMs: this.dialogue.lineBudgetMs + ANSWER_MARGIN_TICKS * this.config.tickMs,
      budgetTokens: this.config.llm.budgetTokensPerHour,
      budgetWindowMs: BUDGET_WINDOW_MS,
      unwatchedSlowdown: this.config.unwatchedSlowdown,
    };
  }

  /** Reads `data/scenes/*.yaml`; new files become scenes, changed files update theirs. */
  private async loadSceneFiles(): Promise<void> {
    let files: string[] = [];
    try {
      files = (await readdir(this.config.scenesDir)).filter((f) => /\.ya?ml$/.test(f)).sort();
    } catch {
      this.logger.warn(`No scene directory at ${this.config.scenesDir}`);
    }
    for (const file of files) {
      const path = join(this.config.scenesDir, file);
      try {
        const spec = parseSceneFile(path, file.replace(/\.ya?ml$/, ''), await readFile(path, 'utf8'));
        const existing = await this.repository.findOne(spec.id);
        const definition = {
          name: spec.name,
          description: spec.description,
          map: spec.map,
          places: spec.places,
          cast: spec.cast,
        };
        if (!existing) {
          await this.repository.insert({ id: spec.id, ...definition, source: 'file' });
          this.logger.log(`Scene ${spec.id} created from ${path}`);
        } else if (
          existing.source === 'file' &&
          JSON.stringify(definition) !==
            JSON.stringify({
              name: existing.name,
              description: existing.description,
              map: existing.map,
              places: existing.places,
              cast: existing.cast,
            })
        ) {
          await this.repository.updateDefinition(spec.id, definition);
          this.logger.log(`Scene ${spec.id} updated from ${path}`);
        }
      } catch (error) {
        // Invalid, unreadable, or refused by the database: reported with its path, the rest load.
        this.logger.error(
          `${error instanceof SceneFileError ? error.message : `${path}: ${errorLine(error)}`} (scene file skipped)`,
        );
      }
    }
  }

  /** Rebuilds a scene's simulation from the database, above every tick already stored. */
  private async resume(entity: SceneEntity): Promise<void> {
    const spec: SceneSpec = {
      id: entity.id,
      name: entity.name,
      description: entity.description,
      map: entity.map,
      places: entity.places,
      cast: entity.cast,
    };
    const cast = this.castSpecs(spec);
    const storedTick = Math.max(entity.tick, await this.conversations.maxTick(entity.id));
    const closed = await this.conversations.endOpen(entity.id, storedTick, this.clock.now(), 'interrupted');
    if (closed > 0) this.logger.log(`Scene ${entity.id}: ended ${closed} conversation(s) cut off by the last stop`);
    const options = this.simOptions();
    let sim: SceneSimulation;
    try {
      const base = entity.state ?? new SceneSimulation(spec, cast, options, seedFor(entity.id)).getState();
      sim = SceneSimulation.restore(spec, base, cast, options, storedTick);
    } catch (error) {
      this.logger.error(`Scene ${entity.id} cannot start: ${(error as Error).message}`);
      return;
    }
    const runner = new SceneRunner(spec, sim, {
      clock: this.clock,
      tickMs: this.config.tickMs,
      logger: this.logger,
      events: this.events,
      character: (id) => this.characters.find(id),
      generate: (request, signal) =>
        this.metrics.timeLlmCall(
          () => this.dialogue.generate(request, signal),
          (error) => (error instanceof LineGenerationError ? error.outcome : 'error'),
        ),
      memories: (sceneId, speakerId, partnerId) =>
        this.conversations.memories(sceneId, speakerId, partnerId, this.names()),
      commit: (batch) => this.metrics.timeCommit(batch.sceneId, batch.lines.length, () => this.ticks.commit(batch)),
      onTick: (_result, lateMs, durationMs) => this.metrics.observeTick(entity.id, durationMs, lateMs),
      visitors: () => this.events.visitorCount(entity.id),
      llmAvailable: () => this.dialogue.canServe(),
      llmResting: () => this.dialogue.resting(),
    });
    this.runners.set(entity.id, runner);
    if (entity.status === 'running') runner.start();
    this.logger.log(
      `Scene ${entity.id} ${entity.status === 'running' ? 'running' : 'paused'} from tick ${storedTick} with ${sim.characters().length} characters`,
    );
  }

  private castSpecs(spec: SceneSpec): CharacterSpec[] {
    const specs: CharacterSpec[] = [];
    for (const member of spec.cast) {
      const character = this.characters.find(member.id);
      if (character) specs.push({ id: character.id, name: character.name, home: character.home ?? undefined });
      else this.logger.warn(`Scene ${spec.id}: cast member ${member.id} has no prompt file; left out`);
    }
    return specs;
  }

  private names(): Map<string, string> {
    return new Map(this.characters.list().map((c) => [c.id, c.name]));
  }

  // ---- authoring (REST) ----------------------------------------------------------------

  /**
   * Every cast member must be a character: a scene that names one that does not exist would
   * be accepted and run without them, which is never what its author meant.
   */
  private checkCast(cast: SceneDefinition['cast']): void {
    for (const member of cast)
      if (!this.characters.find(member.id))
        throw fieldError(
          `cast.${member.id}`,
          `no character "${member.id}": create it first (POST /api/characters or prompts/characters/${member.id}.md)`,
        );
  }

  /** Runs one lifecycle change of a scene, after those already asked for it. */
  private serial<T>(id: string, task: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new ServiceUnavailableException('The server is shutting down'));
    return this.lifecycle.run(id, () => {
      if (this.closing) throw new ServiceUnavailableException('The server is shutting down');
      return task();
    });
  }

  /** A new scene from the API: stored in the database, running at once. */
  create(definition: SceneDefinition): Promise<SceneSnapshot> {
    return this.serial(definition.id, async () => {
      if (this.runners.has(definition.id) || (await this.repository.findOne(definition.id)))
        throw new ConflictException(`Scene ${definition.id} already exists`);
      this.checkCast(definition.cast);
      await this.repository.insert({ ...definition, source: 'api' });
      const entity = await this.repository.findOne(definition.id);
      await this.resume(entity!);
      this.events.publish(definition.id, 'scene:status', { sceneId: definition.id, status: 'running' });
      return this.snapshot(definition.id);
    });
  }

  /**
   * Changes a scene's definition. Its runner stops (saving where everyone stands, lines
   * already stored), then resumes on the new map: characters keep their places where
   * those are still walkable, new cast members join at their start tile, removed ones go.
   * `change` may be a function of the definition as it is when this change's turn comes
   * (after any change queued before it), so it is validated against what it will replace.
   */
  update(id: string, change: SceneChange | ((current: SceneDefinition) => SceneChange)): Promise<SceneSnapshot> {
    return this.serial(id, async () => {
      const runner = this.runner(id);
      const current = this.definition(id);
      const resolved = typeof change === 'function' ? change(current) : change;
      // Members already cast may lack a file for now (they rejoin when it is back); new ones may not.
      if (resolved.cast) this.checkCast(resolved.cast.filter((m) => !current.cast.some((c) => c.id === m.id)));
      const wasRunning = runner.running;
      await runner.stop('interrupted');
      this.runners.delete(id);
      await this.repository.updateDefinition(id, { ...resolved, source: 'api' });
      const entity = await this.repository.findOne(id);
      if (!entity) throw new NotFoundException(`Scene ${id} not found`);
      await this.resume({ ...entity, status: wasRunning ? 'running' : 'paused' });
      return this.snapshot(id);
    });
  }

  remove(id: string): Promise<void> {
    return this.serial(id, async () => {
      const runner = this.runner(id);
      await runner.stop('interrupted');
      this.runners.delete(id);
      await this.repository.remove(id);
      this.logger.log(`Scene ${id} deleted`);
    });
  }

  /** Stops the tick loop; open conversations end as `paused`. Survives restarts. */
  pause(id: string): Promise<SceneSummary> {
    return this.serial(id, async () => {
      const runner = this.runner(id);
      if (runner.running) {
        await runner.stop('paused');
        await this.repository.setStatus(id, 'paused');
        this.events.publish(id, 'scene:status', { sceneId: id, status: 'paused' });
      }
      return this.summary(id);
    });
  }

  resumeScene(id: string): Promise<SceneSummary> {
    return this.serial(id, async () => {
      const runner = this.runner(id);
      if (!runner.running) {
        await this.repository.setStatus(id, 'running');
        runner.start();
        this.events.publish(id, 'scene:status', { sceneId: id, status: 'running' });
      }
      return this.summary(id);
    });
  }

  summary(id: string): SceneSummary {
    const found = this.list().find((s) => s.id === id);
    if (!found) throw new NotFoundException(`Scene ${id} not found`);
    return found;
  }

  /** The stored definition, for editors. */
  definition(id: string): SceneDefinition {
    const { spec } = this.runner(id);
    return {
      id: spec.id,
      name: spec.name,
      description: spec.description,
      map: [...spec.map],
      places: structuredClone(spec.places),
      cast: spec.cast.map((m) => ({ ...m })),
    };
  }

  runner(id: string): SceneRunner {
    const runner = this.runners.get(id);
    if (!runner) throw new NotFoundException(`Scene ${id} not found`);
    return runner;
  }

  has(id: string): boolean {
    return this.runners.has(id);
  }

  list(): SceneSummary[] {
    return [...this.runners.values()].map((runner) => ({
      id: runner.spec.id,
      name: runner.spec.name,
      description: runner.spec.description,
      status: runner.running ? 'running' : 'paused',
      tick: runner.sim.tickCount,
      characterCount: runner.sim.characters().length,
      visitorCount: this.events.visitorCount(runner.spec.id),
      cast: runner.sim.characters().map((c) => ({ id: c.id, name: c.name })),
    }));
  }

  async snapshot(id: string): Promise<SceneSnapshot> {
    const runner = this.runner(id);
    const open = runner.sim.conversations();
    const lines = await this.conversations.linesOf(open.map((c) => c.id));
    const usage = await this.conversations.usage(id);
    return {
      id,
      name: runner.spec.name,
      description: runner.spec.description,
      status: runner.running ? 'running' : 'paused',
      tick: runner.sim.tickCount,
      tickMs: this.config.tickMs,
      map: [...runner.spec.map],
      places: { ...runner.spec.places },
      characters: runner.sim.characters().map((c) => {
        const def = this.characters.find(c.id);
        return {
          id: c.id,
          name: c.name,
          x: c.x,
          y: c.y,
          direction: c.direction,
          action: c.action,
          mood: c.mood,
          sprite: def ? { ...def.sprite } : { skin: '#f2d3b1', hair: '#333333', shirt: '#888888', pants: '#444444' },
          traits: def ? [...def.traits] : [],
          conversationId: c.conversationId,
        };
      }),
      conversations: open.map((c) => ({
        id: c.id,
        participants: [...c.participants],
        lines: lines.filter((l) => l.conversationId === c.id),
      })),
      visitorCount: this.events.visitorCount(id),
      storyteller: runner.storyteller,
      usage,
    };
  }
}

function errorLine(error: unknown): string {
  return ((error as Error)?.message ?? String(error)).split('\n')[0];
}
