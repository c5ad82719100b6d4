import { AgentsModule } from '../agents/agents.module.js';
import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { raw } from 'express';
import { CharacterEntity } from './character.entity.js';
import { CharacterPreviewService } from './character-preview.service.js';
import { CharacterVersionEntity } from './character-version.entity.js';
import { CharactersController } from './characters.controller.js';
import { CharactersRepository } from './characters.repository.js';
import { CharactersService } from './characters.service.js';
import { MAX_CARD_PNG_BYTES } from './png.js';

@Module({
  imports: [TypeOrmModule.forFeature([CharacterEntity, CharacterVersionEntity]), AgentsModule],
  controllers: [CharactersController],
  providers: [CharactersService, CharactersRepository, CharacterPreviewService],
  exports: [CharactersService],
})
export class CharactersModule implements NestModule {
  /**
   * Card PNGs arrive as raw bodies: express.raw reads them (only for image/png), refusing
   * more than MAX_CARD_PNG_BYTES with a 413 once it has drained what the client sent, so
   * the client reads the answer instead of a reset connection.
   */
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(raw({ type: 'image/png', limit: MAX_CARD_PNG_BYTES }))
      .forRoutes({ path: 'character-cards/png', method: RequestMethod.POST });
  }
}
