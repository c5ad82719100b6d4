import { Controller, Get, Param, Query, Sse, type MessageEvent } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Observable, finalize, map, merge, of } from 'rxjs';
import { DEFAULT_LINES_PAGE, ConversationsService } from '../conversations/conversations.service.js';
import { LineDto, LinesQueryDto } from '../conversations/dto/lines.dto.js';
import { SceneIdParamDto, SceneSnapshotDto, SceneSummaryDto } from './dto/scene.dto.js';
import { SceneEventsService } from './scene-events.service.js';
import { ScenesService } from './scenes.service.js';

@ApiTags('scenes')
@Controller('scenes')
export class ScenesController {
  constructor(
    private readonly scenes: ScenesService,
    private readonly conversations: ConversationsService,
    private readonly events: SceneEventsService,
  ) {}

  @Get()
  @ApiOkResponse({ type: [SceneSummaryDto] })
  list(): SceneSummaryDto[] {
    return this.scenes.list();
  }

  @Get(':id')
  @ApiOkResponse({ type: SceneSnapshotDto })
  @ApiNotFoundResponse()
  snapshot(@Param() params: SceneIdParamDto): Promise<SceneSnapshotDto> {
    return this.scenes.snapshot(params.id);
  }

  @Get(':id/lines')
  @ApiOperation({ summary: 'Dialogue history, newest first; page with before=<lineId of the last line>' })
  @ApiOkResponse({ type: [LineDto] })
  @ApiNotFoundResponse()
  lines(@Param() params: SceneIdParamDto, @Query() query: LinesQueryDto): Promise<LineDto[]> {
    this.scenes.runner(params.id);
    return this.conversations.page(params.id, query.limit ?? DEFAULT_LINES_PAGE, query.before);
  }

  @Sse(':id/events')
  @ApiOperation({
    summary: 'Server-Sent Events carrying the same events as socket.io; the event name is the SSE event type',
  })
  @ApiProduces('text/event-stream')
  @ApiNotFoundResponse()
  stream(@Param() params: SceneIdParamDto): Observable<MessageEvent> {
    const sceneId = params.id;
    this.scenes.runner(sceneId);
    // Counting happens on subscribe, so the visitor count includes this stream.
    return new Observable<MessageEvent>((subscriber) => {
      this.events.changeVisitors(sceneId, 1);
      const hello = of<MessageEvent>({
        type: 'scene:visitors',
        data: { sceneId, count: this.events.visitorCount(sceneId) },
      });
      const live = this.events.forScene(sceneId).pipe(map((e): MessageEvent => ({ type: e.name, data: e.payload })));
      const subscription = merge(hello, live)
        .pipe(finalize(() => this.events.changeVisitors(sceneId, -1)))
        .subscribe(subscriber);
      return () => subscription.unsubscribe();
    });
  }
}
