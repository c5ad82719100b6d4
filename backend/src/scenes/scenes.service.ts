import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger, NotFoundException, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DialogueService } from '../agents/dialogue.service.js';
import { ChatModelFactory } from '../agents/model-factory.js';
import { PromptTemplatesService } from '../agents/prompt-templates.service.js';
import { CharactersService } from '../characters/characters.service.js';
import { AppConfig } from '../config/app-config.js';
import type { SceneSnapshot, SceneSummary } from '../contract/events.js';
import { ConversationsService } from '../conversations/conversations.service.js';
import type { Clock } from '../simulation/clock.js';
import { SceneSimulation, seedFor } from '../simulation/engine.js';
import type { CharacterSpec, SceneSpec, SimOptions } from '../simulation/types.js';
import { SCENE_CLOCK } from './scene-clock.js';
import { SceneEventsService } from './scene-events.service.js';
import { SceneFileError, parseSceneFile } from './scene-file.js';
import { SceneRunner } from './scene-runner.js';
import type { SceneEntity } from './scene.entity.js';
import { ScenesRepository } from './scenes.repository.js';

/** The token budget (LLM_BUDGET_TOKENS_PER_HOUR) is per sliding hour. */
const BUDGET_WINDOW_MS = 3_600_000;

/**
 * Owns the running scenes: loads scene files at boot, resumes every scene from the
 * database where it was, and answers what visitors ask about them.
 */
@Injectable()
export class ScenesService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ScenesService.name);
  private readonly runners = new Map<string, SceneRunner>();

  constructor(
    private readonly config: AppConfig,
    private readonly repository: ScenesRepository,
    private readonly characters: CharactersService,
    private readonly conversations: ConversationsService,
    private readonly dialogue: DialogueService,
    private readonly models: ChatModelFactory,
    private readonly templates: PromptTemplatesService,
    private readonly events: SceneEventsService,
    @Inject(SCENE_CLOCK) private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.templates.load();
    await this.characters.loadAll();
    await this.verifyModels();
    await this.loadSceneFiles();
    for (const entity of await this.repository.findAll()) await this.resume(entity);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.runners.values()].map((r) => r.stop('interrupted')));
    this.runners.clear();
  }

  simOptions(): Partial<SimOptions> {
    return {
      tickMs: this.config.tickMs,
      readingCharsPerSecond: this.config.readingCharsPerSecond,
      minReadingMs: this.config.minReadingMs,
      maxReadingMs: Math.max(this.config.minReadingMs, 9_000),
      // A line whose answer is later than the LLM timeout plus a margin is dropped.
      // Retries and backoff fit inside the dialogue service's budget for one line.
      lineTimeoutMs: this.dialogue.lineBudgetMs + 2 * this.config.tickMs,
      budgetTokens: this.config.llm.budgetTokensPerHour,
      budgetWindowMs: BUDGET_WINDOW_MS,
      unwatchedSlowdown: this.config.unwatchedSlowdown,
    };
  }

  /** Every model the configuration and the characters name must be usable, or boot stops. */
  private async verifyModels(): Promise<void> {
    const wanted = [{ model: this.config.llm.model, source: 'LLM_MODEL' }];
    if (this.config.llm.fallbackModel) wanted.push({ model: this.config.llm.fallbackModel, source: 'LLM_FALLBACK_MODEL' });
    for (const character of this.characters.list()) {
      if (character.model) wanted.push({ model: character.model, source: `model: of character ${character.id}` });
    }
    await this.models.verify(wanted);
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
        const definition = { name: spec.name, description: spec.description, map: spec.map, places: spec.places, cast: spec.cast };
        if (!existing) {
          await this.repository.insert({ id: spec.id, ...definition, source: 'file' });
          this.logger.log(`Scene ${spec.id} created from ${path}`);
        } else if (existing.source === 'file' && JSON.stringify(definition) !== JSON.stringify({ name: existing.name, description: existing.description, map: existing.map, places: existing.places, cast: existing.cast })) {
          await this.repository.updateDefinition(spec.id, definition);
          this.logger.log(`Scene ${spec.id} updated from ${path}`);
        }
      } catch (error) {
        if (!(error instanceof SceneFileError)) throw error;
        this.logger.error(`${error.message} (scene file skipped)`);
      }
    }
  }

  /** Rebuilds a scene's simulation from the database, above every tick already stored. */
  private async resume(entity: SceneEntity): Promise<void> {
    const spec: SceneSpec = { id: entity.id, name: entity.name, description: entity.description, map: entity.map, places: entity.places, cast: entity.cast };
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
      generate: (request, signal) => this.dialogue.generate(request, signal),
      memories: (sceneId, speakerId, partnerId) => this.conversations.memories(sceneId, speakerId, partnerId, this.names()),
      commit: (batch) => this.conversations.commit(batch),
      visitors: () => this.events.visitorCount(entity.id),
      llmAvailable: () => this.dialogue.canServe(),
    });
    this.runners.set(entity.id, runner);
    if (entity.status === 'running') runner.start();
    this.logger.log(`Scene ${entity.id} ${entity.status === 'running' ? 'running' : 'paused'} from tick ${storedTick} with ${sim.characters().length} characters`);
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
      conversations: open.map((c) => ({ id: c.id, participants: [...c.participants], lines: lines.filter((l) => l.conversationId === c.id) })),
      visitorCount: this.events.visitorCount(id),
      usage,
    };
  }
}
