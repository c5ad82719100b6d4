import { Controller, Get, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CharactersService } from './characters.service.js';
import { CharacterDto, CharacterIdParamDto } from './dto/character.dto.js';

@ApiTags('characters')
@Controller('characters')
export class CharactersController {
  constructor(private readonly characters: CharactersService) {}

  @Get()
  @ApiOkResponse({ type: [CharacterDto] })
  list(): CharacterDto[] {
    return this.characters.list().map((c) => CharacterDto.from(c));
  }

  @Get(':id')
  @ApiOkResponse({ type: CharacterDto })
  @ApiNotFoundResponse()
  get(@Param() params: CharacterIdParamDto): CharacterDto {
    return CharacterDto.from(this.characters.get(params.id));
  }
}
