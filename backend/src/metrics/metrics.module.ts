import { Controller, Get, Header, Injectable, Module, Res, type OnModuleInit } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipAllThrottles } from '../rate-limit/rate-limit.js';
import type { Response } from 'express';
import { AgentsModule } from '../agents/agents.module.js';
import { DialogueService } from '../agents/dialogue.service.js';
import { LlmStatusService } from '../agents/llm-status.service.js';
import { ScenesModule } from '../scenes/scenes.module.js';
import { SceneEventsService } from '../scenes/scene-events.service.js';
import { ScenesService } from '../scenes/scenes.service.js';
import { MetricsService } from './metrics.service.js';

/** Gauges and mirrored counters read from the running app at scrape time. */
@Injectable()
export class MetricsCollector implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsService,
    private readonly scenes: ScenesService,
    private readonly events: SceneEventsService,
    private readonly dialogue: DialogueService,
    private readonly llm: LlmStatusService,
  ) {}

  onModuleInit(): void {
    const m = this.metrics;
    m.gauge('pixeltales_scenes', 'Scenes by status', ['status'], (set) => {
      const list = this.scenes.list();
      set({ status: 'running' }, list.filter((s) => s.status === 'running').length);
      set({ status: 'paused' }, list.filter((s) => s.status !== 'running').length);
    });
    m.gauge('pixeltales_characters', 'Characters in each scene', ['scene'], (set) => {
      for (const s of this.scenes.list()) set({ scene: s.id }, s.characterCount);
    });
    m.gauge('pixeltales_viewers', 'Connected viewers (socket.io and SSE) per scene', ['scene'], (set) => {
      for (const s of this.scenes.list()) set({ scene: s.id }, this.events.visitorCount(s.id));
    });
    m.gauge('pixeltales_llm_queue_depth', 'Line requests waiting for a model slot', [], (set) =>
      set({}, this.dialogue.queueDepth),
    );
    m.gauge('pixeltales_llm_in_flight', 'Model calls running now', [], (set) => set({}, this.dialogue.inFlight));
    m.mirroredCounter('pixeltales_llm_calls_total', 'Model calls by outcome', ['outcome'], () =>
      Object.entries(this.llm.outcomes).map(([outcome, n]) => [{ outcome }, n] as [Record<string, string>, number]),
    );
    m.mirroredCounter('pixeltales_llm_tokens_total', 'Tokens used, by kind', ['kind'], () => [
      [{ kind: 'prompt' }, this.llm.promptTokens],
      [{ kind: 'completion' }, this.llm.completionTokens],
    ]);
  }
}

@ApiExcludeController()
@SkipAllThrottles()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() res: Response): Promise<void> {
    res.setHeader('Content-Type', this.metrics.registry.contentType);
    res.send(await this.metrics.registry.metrics());
  }
}

/** GET /metrics in Prometheus text format (outside the /api prefix, as scrapers expect). */
@Module({
  imports: [ScenesModule, AgentsModule],
  controllers: [MetricsController],
  providers: [MetricsCollector],
})
export class MetricsModule {}
