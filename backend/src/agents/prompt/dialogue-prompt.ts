/**
 * Assembles the dialogue prompt from `prompts/templates/dialogue.md`. Pure: the same
 * template and input always give the same messages, and it is the only place that
 * decides what a model is told.
 */

export interface DialogueTemplate {
  system: string;
  user: string;
}

export interface PromptCharacter {
  id: string;
  name: string;
  persona: string;
  traits: string[];
  topics: string[];
  voice: string[];
}

export interface DialoguePromptInput {
  speaker: PromptCharacter;
  mood: string;
  partner: Pick<PromptCharacter, 'id' | 'name' | 'traits'>;
  /** The speaker's feeling for the partner, -1..1, if the prompt file says. */
  relationship: number | undefined;
  place: string | null;
  sceneDescription: string;
  memories: string[];
  history: { speakerName: string; text: string }[];
  turn: number;
  maxTurns: number;
}

export class TemplateError extends Error {}

/** Splits a template file into its `## system` and `## user` sections. */
export function parseDialogueTemplate(text: string, path = 'dialogue.md'): DialogueTemplate {
  const sections: Record<string, string[]> = {};
  let current: string | null = null;
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    const heading = /^##\s+(system|user)\s*$/i.exec(line);
    if (heading) {
      current = heading[1].toLowerCase();
      sections[current] = [];
    } else if (current) {
      sections[current].push(line);
    }
  }
  if (!sections.system || !sections.user)
    throw new TemplateError(`${path}: a template needs a "## system" and a "## user" section`);
  return { system: sections.system.join('\n').trim(), user: sections.user.join('\n').trim() };
}

/**
 * Text from files, authors and models is inserted in one pass, so a value containing
 * `{{…}}` is never expanded, and it is flattened so it cannot open a section of its own.
 */
function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (whole, key: string) =>
    key in values ? neutralize(values[key]) : whole,
  );
}

/** Inserted text cannot close or open the template's `<story>` data fences. */
function neutralize(value: string): string {
  return value.replace(/<\s*\/?\s*story\s*>/gi, '');
}

function inline(text: string, max = 400): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function relationshipSentence(name: string, value: number | undefined): string {
  if (value === undefined) return `You have no strong feelings about ${name} yet.`;
  if (value >= 0.6) return `You are very fond of ${name}.`;
  if (value >= 0.2) return `You like ${name}.`;
  if (value > -0.2) return `You feel neutral about ${name}.`;
  if (value > -0.6) return `${name} gets on your nerves a little.`;
  return `You really dislike ${name}.`;
}

function turnGuidance(input: DialoguePromptInput): string {
  const partner = input.partner.name;
  if (input.turn === 0) return `You have just run into ${partner}. Open the conversation with a greeting or a remark.`;
  if (input.turn >= input.maxTurns - 1)
    return `This is your last line: say goodbye to ${partner} in your own way and set endConversation to true.`;
  if (input.turn >= input.maxTurns - 3)
    return `Reply to ${partner}, and start wrapping up; you may say goodbye (then set endConversation to true).`;
  return `Reply to what ${partner} just said, and move the conversation somewhere new or deeper.`;
}

export function assembleDialoguePrompt(template: DialogueTemplate, input: DialoguePromptInput): DialogueTemplate {
  const { speaker, partner } = input;
  const values: Record<string, string> = {
    name: inline(speaker.name, 80),
    persona: speaker.persona.trim() || `${speaker.name} has no written persona yet.`,
    traits: speaker.traits.map((t) => inline(t, 60)).join(', ') || 'none given',
    voice:
      speaker.voice.length > 0 ? speaker.voice.map((v) => `- ${inline(v, 300)}`).join('\n') : '- (no sample lines)',
    topics: speaker.topics.map((t) => inline(t, 120)).join(', ') || 'anything',
    mood: inline(input.mood, 40),
    partner_name: inline(partner.name, 80),
    partner_summary:
      partner.traits.length > 0
        ? `${inline(partner.name, 80)} is ${partner.traits.map((t) => inline(t, 60)).join(', ')}.`
        : `${inline(partner.name, 80)}.`,
    relationship: relationshipSentence(inline(partner.name, 80), input.relationship),
    place: input.place ? inline(input.place, 100) : 'somewhere in the scene',
    scene_description: inline(input.sceneDescription, 600) || 'a small pixel-art town',
    memories: input.memories.length > 0 ? input.memories.map((m) => `- ${inline(m, 300)}`).join('\n') : 'none yet',
    history:
      input.history.length > 0
        ? input.history.map((l) => `${inline(l.speakerName, 80)}: ${inline(l.text, 400)}`).join('\n')
        : '(the conversation is just starting)',
    turn_guidance: turnGuidance(input),
  };
  return { system: fill(template.system, values), user: fill(template.user, values) };
}
