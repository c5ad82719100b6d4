import { Injectable } from '@nestjs/common';
import { DialogueService } from '../agents/dialogue.service.js';
import { fieldError } from '../common/field-error.js';
import {
  cleanSource,
  defaultPalette,
  parseCharacterFile,
  serializeCharacterFile,
  type CharacterDefinition,
  type CharacterSource,
} from './character-definition.js';
import { CharactersService } from './characters.service.js';
import { PreviewDto, type PreviewRequestDto } from './dto/character.dto.js';

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

/**
 * One line from a character, for the author page: the saved character or an unsaved
 * draft, with a partner and a situation. Goes through the dialogue service like any scene
 * line (limiter, retries, breaker, fallback), and the situation into the scene slot of
 * the prompt, fenced as data. Failures are LineGenerationErrors, which the characters'
 * exception filter turns into 504/502.
 */
@Injectable()
export class CharacterPreviewService {
  constructor(
    private readonly characters: CharactersService,
    private readonly dialogue: DialogueService,
  ) {}

  async preview(id: string, body: PreviewRequestDto): Promise<PreviewDto> {
    const speaker = body.draft
      ? parseCharacterFile(this.characters.pathOf(id), id, serializeCharacterFile(cleanSource(toSource(body.draft))))
      : this.characters.get(id);
    // A draft's model is checked as a save would check it; a saved character whose model
    // broke since speaks with the default model, as it does in its scenes.
    if (body.draft) await this.characters.assertUsableModel(speaker);
    let partner = STRANGER;
    if (body.partnerId) {
      const found = this.characters.find(body.partnerId);
      if (!found) throw fieldError('partnerId', `no character ${body.partnerId}`);
      partner = found;
    }
    const line = await this.dialogue.generate({
      sceneId: `preview:${id}`,
      opId: `preview:${id}:${Date.now()}`,
      speaker,
      partner,
      mood: 'calm',
      place: null,
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
  }
}

/** A request body as editable source (the DTO's sprite class becomes a plain palette). */
export function toSource(body: CharacterSource): CharacterSource {
  return { ...body, sprite: body.sprite ? { ...body.sprite } : null };
}
