import { AgentsModule } from '../agents/agents.module.js';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CharacterEntity } from './character.entity.js';
import { CharacterVersionEntity } from './character-version.entity.js';
import { CharactersController } from './characters.controller.js';
import { CharactersRepository } from './characters.repository.js';
import { CharactersService } from './characters.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([CharacterEntity, CharacterVersionEntity]), AgentsModule],
  controllers: [CharactersController],
  providers: [CharactersService, CharactersRepository],
  exports: [CharactersService],
})
export class CharactersModule {}
