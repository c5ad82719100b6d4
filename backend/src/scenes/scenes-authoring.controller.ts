import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AuthorOnly } from '../auth/author.guard.js';
import { SceneIdParamDto, SceneSnapshotDto, SceneSummaryDto } from './dto/scene.dto.js';
import { CreateSceneDto, UpdateSceneDto, validateSceneShape } from './dto/scene-write.dto.js';
import { ScenesService, type SceneChange, type SceneDefinition } from './scenes.service.js';

/** Author routes of scenes: create, change, delete, pause, resume. */
@ApiTags('scenes')
@Controller('scenes')
@AuthorOnly()
export class ScenesAuthoringController {
  constructor(private readonly scenes: ScenesService) {}

  @Post()
  @ApiOperation({ summary: 'Create a scene (stored in the database) and start it' })
  @ApiOkResponse({ type: SceneSnapshotDto })
  @ApiBadRequestResponse({
    description: 'names the field: e.g. map[2] (not rectangular), cast.mara (not walkable), places.well (outside)',
  })
  @ApiConflictResponse()
  create(@Body() body: CreateSceneDto): Promise<SceneSnapshotDto> {
    const places = validateSceneShape({ map: body.map, places: body.places ?? {}, cast: body.cast });
    return this.scenes.create({
      id: body.id,
      name: body.name.trim(),
      description: (body.description ?? '').trim(),
      map: body.map,
      places,
      cast: body.cast.map((m) => ({ id: m.id, x: m.x, y: m.y })),
    });
  }

  @Get(':id/definition')
  @ApiOperation({ summary: 'The scene as an editor changes it: map, places, cast' })
  @ApiNotFoundResponse()
  definition(@Param() params: SceneIdParamDto): SceneDefinition {
    return this.scenes.definition(params.id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change name, description, map, places or cast; the scene carries on from where everyone stands',
  })
  @ApiOkResponse({ type: SceneSnapshotDto })
  @ApiNotFoundResponse()
  update(@Param() params: SceneIdParamDto, @Body() body: UpdateSceneDto): Promise<SceneSnapshotDto> {
    // Checked inside the scene's turn, against the definition it will replace (a change
    // queued before this one may have moved the map or the cast).
    return this.scenes.update(params.id, (current) => {
      // The whole scene is checked as it will be, so a new map is checked against the old cast.
      const merged = {
        map: body.map ?? current.map,
        places: body.places ?? current.places,
        cast: body.cast ? body.cast.map((m) => ({ id: m.id, x: m.x, y: m.y })) : current.cast,
      };
      const places = validateSceneShape(merged);
      const change: SceneChange = {};
      if (body.name !== undefined) change.name = body.name.trim();
      if (body.description !== undefined) change.description = body.description.trim();
      if (body.map) change.map = merged.map;
      if (body.places) change.places = places;
      if (body.cast) change.cast = merged.cast;
      return change;
    });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  async remove(@Param() params: SceneIdParamDto): Promise<void> {
    await this.scenes.remove(params.id);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop the tick loop (emits scene:status)' })
  @ApiOkResponse({ type: SceneSummaryDto })
  pause(@Param() params: SceneIdParamDto): Promise<SceneSummaryDto> {
    return this.scenes.pause(params.id);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Restart the tick loop (emits scene:status)' })
  @ApiOkResponse({ type: SceneSummaryDto })
  resume(@Param() params: SceneIdParamDto): Promise<SceneSummaryDto> {
    return this.scenes.resumeScene(params.id);
  }
}
