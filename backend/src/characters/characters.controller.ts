import type { IncomingMessage } from 'node:http';
import {
  BadGatewayException,
  Body,
  ConflictException,
  Controller,
  Delete,
  GatewayTimeoutException,
  Get,
  Headers,
  HttpCode,
  HttpException,
  Param,
  PayloadTooLargeException,
  Post,
  Put,
  Query,
  Req,
  Res,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { DialogueService, LineGenerationError } from '../agents/dialogue.service.js';
import { AuthorOnly } from '../auth/author.guard.js';
import { fieldError } from '../common/field-error.js';
import {
  CardError,
  CharacterCardV2Dto,
  cardFromPng,
  cardToPng,
  fromCard,
  toCard,
  validateCard,
} from './character-card.js';
import {
  CharacterFileError,
  defaultPalette,
  parseCharacterFile,
  serializeCharacterFile,
  sourceOf,
  type CharacterDefinition,
  type CharacterSource,
} from './character-definition.js';
import { CharactersService } from './characters.service.js';
import {
  CharacterDto,
  CharacterIdParamDto,
  CharacterVersionDto,
  CharacterWriteDto,
  CreateCharacterDto,
  ImportQueryDto,
  PreviewDto,
  PreviewRequestDto,
  VersionParamDto,
} from './dto/character.dto.js';
import { MAX_CARD_PNG_BYTES } from './png.js';
import { PreviewLimited } from '../rate-limit/rate-limit.js';

/** `"<sha256>"`: the content hash of the prompt file is the ETag. */
function etag(hash: string): string {
  return `"${hash}"`;
}

/** The hash an If-Match names (quotes and a weak prefix ignored); `*` or nothing: no check. */
function ifMatchHash(header: string | undefined): string | null {
  if (!header || header.trim() === '*') return null;
  return header.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
}

/** File and card problems become 400s naming the field (and the line, for files). */
function asHttp(error: unknown): unknown {
  if (error instanceof CharacterFileError)
    return fieldError(error.field, `${error.detail}${error.line !== null ? ` (line ${error.line} of the file)` : ''}`);
  if (error instanceof CardError) return fieldError(error.field, error.message.slice(error.field.length + 2));
  return error;
}

function toSource(body: CharacterWriteDto): CharacterSource {
  return { ...body, sprite: body.sprite ? { ...body.sprite } : null };
}

/** A stand-in partner for previews without one. */
const STRANGER: CharacterDefinition = {
  id: 'stranger',
  name: 'a passing stranger',
  sprite: defaultPalette('stranger'),
  traits: ['friendly'],
  home: null,
  topics: [],
  voice: [],
  model: null,
  temperature: null,
  relationships: {},
  persona: '',
  contentHash: '',
};

/** The situation of previews that give none. */
const DEFAULT_SITUATION = 'A quiet moment in town; someone stops to chat.';

@ApiTags('characters')
@Controller()
export class CharactersController {
  constructor(
    private readonly characters: CharactersService,
    private readonly dialogue: DialogueService,
  ) {}

  @Get('characters')
  @ApiOkResponse({ type: [CharacterDto] })
  list(): CharacterDto[] {
    return this.characters.list().map((c) => CharacterDto.from(c));
  }

  @Get('character-problems')
  @AuthorOnly()
  @ApiOperation({
    summary: 'Character files that failed validation (path, field, line); their last valid version stays live',
  })
  problems(): { path: string; field: string; line: number | null; message: string }[] {
    return this.characters
      .loadProblems()
      .map((p) => ({ path: p.path, field: p.field, line: p.line, message: p.message }));
  }

  @Get('characters/:id')
  @ApiOkResponse({ type: CharacterDto, headers: { ETag: { description: 'content hash of the prompt file' } } })
  @ApiNotFoundResponse()
  get(@Param() params: CharacterIdParamDto, @Res({ passthrough: true }) res: Response): CharacterDto {
    const def = this.characters.get(params.id);
    res.setHeader('ETag', etag(def.contentHash));
    return CharacterDto.from(def);
  }

  @Post('characters')
  @AuthorOnly()
  @ApiOperation({ summary: 'Create a character: writes prompts/characters/<id>.md and a version' })
  @ApiOkResponse({ type: CharacterDto })
  @ApiBadRequestResponse({ description: 'names the field' })
  @ApiConflictResponse({ description: 'a character with this id exists' })
  create(@Body() body: CreateCharacterDto, @Res({ passthrough: true }) res: Response): Promise<CharacterDto> {
    const { id, ...rest } = body;
    return this.save(id, toSource(rest), { create: true }, res);
  }

  @Post('characters/:id')
  @AuthorOnly()
  @ApiOperation({ summary: 'Create a character with the id in the path' })
  @ApiOkResponse({ type: CharacterDto })
  @ApiConflictResponse()
  createAt(
    @Param() params: CharacterIdParamDto,
    @Body() body: CharacterWriteDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CharacterDto> {
    return this.save(params.id, toSource(body), { create: true }, res);
  }

  @Put('characters/:id')
  @AuthorOnly()
  @ApiOperation({
    summary: 'Replace a character; live at its next turn. Send If-Match with the ETag you loaded: a stale one is a 409',
  })
  @ApiHeader({ name: 'If-Match', required: false })
  @ApiOkResponse({ type: CharacterDto })
  @ApiConflictResponse({ description: 'If-Match is stale: someone (or the file on disk) changed the character' })
  update(
    @Param() params: CharacterIdParamDto,
    @Body() body: CharacterWriteDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CharacterDto> {
    return this.save(params.id, toSource(body), { ifMatch: ifMatchHash(ifMatch), mustExist: true }, res);
  }

  @Delete('characters/:id')
  @AuthorOnly()
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete the prompt file; the character leaves its scenes. Versions stay' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  async remove(@Param() params: CharacterIdParamDto, @Headers('if-match') ifMatch: string | undefined): Promise<void> {
    await this.characters.remove(params.id, ifMatchHash(ifMatch));
  }

  @Post('characters/:id/preview')
  @AuthorOnly()
  @PreviewLimited()
  @HttpCode(200)
  @ApiOperation({ summary: 'One line from the configured model, for the saved character or an unsaved draft' })
  @ApiOkResponse({ type: PreviewDto })
  async preview(@Param() params: CharacterIdParamDto, @Body() body: PreviewRequestDto): Promise<PreviewDto> {
    let speaker: CharacterDefinition;
    try {
      speaker = body.draft
        ? parseCharacterFile(this.characters.pathOf(params.id), params.id, serializeCharacterFile(toSource(body.draft)))
        : this.characters.get(params.id);
    } catch (error) {
      throw asHttp(error);
    }
    let partner = STRANGER;
    if (body.partnerId) {
      const found = this.characters.find(body.partnerId);
      if (!found) throw fieldError('partnerId', `no character ${body.partnerId}`);
      partner = found;
    }
    try {
      const line = await this.dialogue.generate({
        sceneId: `preview:${params.id}`,
        opId: `preview:${params.id}:${Date.now()}`,
        speaker,
        partner,
        mood: 'calm',
        place: null,
        // The scene slot of the template: flattened to one line and fenced by the
        // template's own wording, so it describes the moment and cannot add instructions.
        sceneDescription: body.situation?.trim() || DEFAULT_SITUATION,
        history: [],
        memories: [],
        turn: 0,
        maxTurns: 8,
      });
      return Object.assign(new PreviewDto(), {
        text: line.say,
        emotion: line.emotion,
        action: line.action ?? null,
        usage: { promptTokens: line.usage.promptTokens, completionTokens: line.usage.completionTokens },
        latencyMs: line.latencyMs,
        model: line.model,
      });
    } catch (error) {
      if (error instanceof LineGenerationError) {
        if (error.outcome === 'timeout' || error.outcome === 'busy')
          throw new GatewayTimeoutException(`The model gave no line in time: ${error.message}`);
        throw new BadGatewayException(`The model gave no line: ${error.message}`);
      }
      throw error;
    }
  }

  @Get('characters/:id/versions')
  @AuthorOnly()
  @ApiOperation({ summary: 'Every accepted version, newest first, with its file content' })
  @ApiOkResponse({ type: [CharacterVersionDto] })
  async versions(@Param() params: CharacterIdParamDto): Promise<CharacterVersionDto[]> {
    const current = this.characters.find(params.id)?.contentHash ?? null;
    return (await this.characters.versions(params.id)).map((v) => CharacterVersionDto.from(v, current));
  }

  @Post('characters/:id/versions/:version/restore')
  @AuthorOnly()
  @HttpCode(200)
  @ApiOperation({ summary: 'Make an old version live again (recorded as a new version)' })
  @ApiHeader({ name: 'If-Match', required: false })
  @ApiOkResponse({ type: CharacterDto })
  async restore(
    @Param() params: VersionParamDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CharacterDto> {
    try {
      const def = await this.characters.restore(params.id, params.version, ifMatchHash(ifMatch));
      res.setHeader('ETag', etag(def.contentHash));
      return CharacterDto.from(def);
    } catch (error) {
      throw asHttp(error);
    }
  }

  @Get('characters/:id/card')
  @AuthorOnly()
  @ApiOperation({ summary: 'Export as Character Card V2 JSON' })
  @ApiOkResponse({ type: CharacterCardV2Dto })
  card(@Param() params: CharacterIdParamDto, @Res({ passthrough: true }) res: Response): CharacterCardV2Dto {
    const def = this.characters.get(params.id);
    res.setHeader('Content-Disposition', `attachment; filename="${def.id}.card.json"`);
    return toCard(sourceOf(def));
  }

  @Get('characters/:id/card.png')
  @AuthorOnly()
  @ApiOperation({ summary: 'Export as a Character Card V2 PNG: the sprite, with the card in its chara tEXt chunk' })
  @ApiProduces('image/png')
  cardPng(@Param() params: CharacterIdParamDto, @Res() res: Response): void {
    const def = this.characters.get(params.id);
    const png = cardToPng(toCard(sourceOf(def)), def.sprite);
    res.setHeader('Content-Type', 'image/png');
    res.setHeader('Content-Disposition', `attachment; filename="${def.id}.card.png"`);
    res.end(png);
  }

  @Post('character-cards')
  @AuthorOnly()
  @ApiOperation({ summary: 'Import a Character Card V2 (JSON body)' })
  @ApiOkResponse({ type: CharacterDto })
  @ApiConflictResponse({ description: 'the character exists and replace is not true' })
  importJson(
    @Body() body: CharacterCardV2Dto,
    @Query() query: ImportQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CharacterDto> {
    return this.importCard(body, query, res);
  }

  @Post('character-cards/png')
  @AuthorOnly()
  @ApiOperation({ summary: 'Import a Character Card V2 PNG (body: the image, Content-Type image/png)' })
  @ApiConsumes('image/png')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiOkResponse({ type: CharacterDto })
  async importPng(
    @Req() req: IncomingMessage,
    @Query() query: ImportQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CharacterDto> {
    if (!/^image\/png\b/i.test(req.headers['content-type'] ?? ''))
      throw new UnsupportedMediaTypeException('Send the card as Content-Type: image/png');
    const png = await readBody(req, MAX_CARD_PNG_BYTES);
    let card: CharacterCardV2Dto;
    try {
      card = cardFromPng(png);
    } catch (error) {
      throw asHttp(error);
    }
    return this.importCard(card, query, res);
  }

  private async importCard(card: CharacterCardV2Dto, query: ImportQueryDto, res: Response): Promise<CharacterDto> {
    let source: CharacterSource;
    try {
      source = fromCard(validateCard(card));
    } catch (error) {
      throw asHttp(error);
    }
    const id = query.id ?? slug(source.name);
    if (!id) throw fieldError('id', 'the card name gives no usable id; pass ?id=');
    const replace = query.replace === 'true';
    return this.save(id, source, replace ? {} : { create: true }, res);
  }

  private async save(
    id: string,
    source: CharacterSource,
    options: { create?: boolean; ifMatch?: string | null; mustExist?: boolean },
    res: Response,
  ): Promise<CharacterDto> {
    try {
      const def = await this.characters.writeText(id, serializeCharacterFile(source), options);
      res.setHeader('ETag', etag(def.contentHash));
      return CharacterDto.from(def);
    } catch (error) {
      if (error instanceof HttpException || error instanceof ConflictException) throw error;
      throw asHttp(error);
    }
  }
}

function slug(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
}

/** Collects a raw request body, refusing more than `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new PayloadTooLargeException(`A card PNG may be at most ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
