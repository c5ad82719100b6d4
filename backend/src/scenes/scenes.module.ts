import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentsModule } from '../agents/agents.module.js';
import { CharactersModule } from '../characters/characters.module.js';
import { ConversationsModule } from '../conversations/conversations.module.js';
import { SCENE_CLOCK, systemClock } from './scene-clock.js';
import { SceneEventsService } from './scene-events.service.js';
import { SceneEntity } from './scene.entity.js';
import { ScenesAuthoringController } from './scenes-authoring.controller.js';
import { ScenesController } from './scenes.controller.js';
import { ScenesGateway } from './scenes.gateway.js';
import { ScenesRepository } from './scenes.repository.js';
import { ScenesService } from './scenes.service.js';
import { TickBatchWriter } from './tick-batch.js';

@Module({
  imports: [TypeOrmModule.forFeature([SceneEntity]), CharactersModule, ConversationsModule, AgentsModule],
  controllers: [ScenesController, ScenesAuthoringController],
  providers: [
    ScenesService,
    ScenesRepository,
    TickBatchWriter,
    SceneEventsService,
    ScenesGateway,
    { provide: SCENE_CLOCK, useValue: systemClock },
  ],
  exports: [ScenesService, SceneEventsService],
})
export class ScenesModule {}
