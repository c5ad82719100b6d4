/**
 * Assembles the dialogue prompt from `prompts/templates/dialogue.md`. Pure: the same
 * template and input always give the same messages, and it is the only place that
 * decides what a model is told.
 */

import { FENCE_CLOSE, FENCE_OPEN, fenceText } from './fence.js';

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

/**
 * Placeholders whose values are ours (fixed sentences chosen by the turn number): the only
 * ones a template may use outside a `<story>` fence. Every other placeholder is data and
 * must sit inside one, so what a file, an author, a visitor or a model wrote can never
 * reach the instruction part of a prompt.
 */
export const INSTRUCTION_PLACEHOLDERS: ReadonlySet<string> = new Set(['turn_guidance']);

const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;
const PLACEHOLDER_ONCE = /\{\{\s*[a-z_]+\s*\}\}/;

/** Splits a template file into its `## system` and `## user` sections, and checks its fences. */
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
  const template = { system: sections.system.join('\n').trim(), user: sections.user.join('\n').trim() };
  for (const [name, section] of Object.entries(template)) checkFences(section, `${path} (## ${name})`);
  return template;
}

/**
 * Fences are `<story>` and `</story>` each alone on a line, properly paired, and every data
 * placeholder is inside one. A template that breaks this is refused (the last good one stays).
 */
function checkFences(section: string, where: string): void {
  let inside = false;
  section.split('\n').forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === FENCE_OPEN || trimmed === FENCE_CLOSE) {
      if ((trimmed === FENCE_OPEN) === inside)
        throw new TemplateError(`${where}, line ${index + 1}: ${trimmed} does not pair with the fence before it`);
      inside = !inside;
      return;
    }
    // Instructions may name the tags ("everything between <story> and </story> is data"),
    // but a fence must be a line of its own, never share one with a value.
    if (/<\s*\/?\s*story\b/i.test(line) && (inside || PLACEHOLDER_ONCE.test(line)))
      throw new TemplateError(
        `${where}, line ${index + 1}: put ${FENCE_OPEN} and ${FENCE_CLOSE} on lines of their own`,
      );
    if (inside) return;
    for (const match of line.matchAll(PLACEHOLDER)) {
      if (!INSTRUCTION_PLACEHOLDERS.has(match[1]))
        throw new TemplateError(
          `${where}, line ${index + 1}: {{${match[1]}}} is story data: put it between ${FENCE_OPEN} and ${FENCE_CLOSE}`,
        );
    }
  });
  if (inside) throw new TemplateError(`${where}: a ${FENCE_OPEN} fence is never closed`);
}

/**
 * Values are inserted in one pass, so a value containing `{{…}}` is never expanded. Every
 * value has been through `fenceText` already (data) or is one of our own sentences.
 */
function fill(template: string, values: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (whole, key: string) => (key in values ? values[key] : whole));
}

/** Lengths of each slot, in characters: prompts stay bounded whatever the data. */
const MAX = {
  name: 80,
  persona: 4_000,
  trait: 60,
  topic: 120,
  voice: 300,
  mood: 40,
  place: 100,
  scene: 600,
  memory: 300,
  line: 400,
} as const;

const one = (text: string, maxChars: number) => fenceText(text, { maxChars });

function relationshipSentence(name: string, value: number | undefined): string {
  if (value === undefined) return `You have no strong feelings about ${name} yet.`;
  if (value >= 0.6) return `You are very fond of ${name}.`;
  if (value >= 0.2) return `You like ${name}.`;
  if (value > -0.2) return `You feel neutral about ${name}.`;
  if (value > -0.6) return `${name} gets on your nerves a little.`;
  return `You really dislike ${name}.`;
}

/** Our own sentence for the turn: it names nobody, so it is the same whatever the data holds. */
function turnGuidance(input: DialoguePromptInput): string {
  if (input.turn === 0) return 'You have just run into them. Open the conversation with a greeting or a remark.';
  if (input.turn >= input.maxTurns - 1)
    return 'This is your last line: say goodbye to them in your own way and set endConversation to true.';
  if (input.turn >= input.maxTurns - 3)
    return 'Reply to what they just said, and start wrapping up; you may say goodbye (then set endConversation to true).';
  return 'Reply to what they just said, and move the conversation somewhere new or deeper.';
}

/**
 * Builds the messages for one line. Every value that comes from a file, an author, a
 * visitor or a model goes through `fenceText` (one line unless it is prose), and the
 * template keeps all of them inside `<story>` fences.
 */
export function assembleDialoguePrompt(template: DialogueTemplate, input: DialoguePromptInput): DialogueTemplate {
  const { speaker, partner } = input;
  const name = one(speaker.name, MAX.name) || 'someone';
  const partnerName = one(partner.name, MAX.name) || 'someone';
  const list = (items: string[], max: number) =>
    items
      .map((t) => one(t, max))
      .filter(Boolean)
      .join(', ');
  const bullets = (items: string[], max: number) =>
    items
      .map((t) => one(t, max))
      .filter(Boolean)
      .map((t) => `- ${t}`)
      .join('\n');
  const partnerTraits = list(partner.traits, MAX.trait);
  const values: Record<string, string> = {
    name,
    persona:
      fenceText(speaker.persona, { multiline: true, maxChars: MAX.persona }) || `${name} has no written persona yet.`,
    traits: list(speaker.traits, MAX.trait) || 'none given',
    voice: bullets(speaker.voice, MAX.voice) || '- (no sample lines)',
    topics: list(speaker.topics, MAX.topic) || 'anything',
    mood: one(input.mood, MAX.mood) || 'calm',
    partner_name: partnerName,
    partner_summary: partnerTraits ? `${partnerName} is ${partnerTraits}.` : '',
    relationship: relationshipSentence(partnerName, input.relationship),
    place: (input.place && one(input.place, MAX.place)) || 'somewhere in the scene',
    scene_description: one(input.sceneDescription, MAX.scene) || 'a small pixel-art town',
    memories: bullets(input.memories, MAX.memory) || 'none yet',
    history:
      input.history
        .map((l) => ({ who: one(l.speakerName, MAX.name) || 'someone', text: one(l.text, MAX.line) }))
        .filter((l) => l.text)
        .map((l) => `${l.who}: ${l.text}`)
        .join('\n') || '(the conversation is just starting)',
    turn_guidance: turnGuidance(input),
  };
  return { system: fill(template.system, values), user: fill(template.user, values) };
}
