/** The card shown when a character is clicked: who they are and what they are up to. */
import type { SnapshotCharacter } from '../../../backend/src/contract/events';
import { moodIcon, portrait } from '../art/sprites';
import { el } from '../dom';

const ACTIONS: Record<string, string> = {
  idle: 'Taking it easy',
  walking: 'Walking',
  talking: 'Talking',
  thinking: 'Thinking…',
};

export class CharacterCard {
  readonly root: HTMLElement;
  private shownId: string | null = null;
  private key = '';

  constructor(onClose: () => void) {
    this.root = el('section', 'card');
    this.root.hidden = true;
    this.root.setAttribute('aria-label', 'Character');
    this.root.addEventListener('click', (e) => {
      if ((e.target as HTMLElement).closest('.close')) onClose();
    });
  }

  get id(): string | null {
    return this.shownId;
  }

  /** Shows (or refreshes) the card; cheap when nothing changed. */
  show(c: SnapshotCharacter, color: string, partners: string[]): void {
    const key = JSON.stringify([c.id, c.name, c.sprite, c.traits, c.mood, c.action, partners, color]);
    this.root.hidden = false;
    this.root.dataset.characterId = c.id;
    if (key === this.key) return;
    this.key = key;
    this.shownId = c.id;
    const close = el('button', 'close', '×');
    close.type = 'button';
    close.setAttribute('aria-label', 'Close');
    const picture = portrait(c.sprite);
    const name = el('h2', 'card-name', c.name);
    name.style.color = color;
    const head = el('div', 'card-head');
    head.append(picture, name, close);
    const traits = el('ul', 'traits');
    traits.setAttribute('aria-label', 'Traits');
    for (const t of c.traits) traits.append(el('li', undefined, t));
    const facts = el('dl', 'facts');
    const mood = el('dd', 'card-mood');
    mood.append(moodIcon(c.mood), document.createTextNode(c.mood));
    const action = el('dd', 'card-action', ACTIONS[c.action] ?? c.action);
    const talking = el('dd', 'card-partners', partners.length ? partners.join(', ') : 'Nobody right now');
    facts.append(
      el('dt', undefined, 'Mood'),
      mood,
      el('dt', undefined, 'Doing'),
      action,
      el('dt', undefined, 'Talking with'),
      talking,
    );
    this.root.replaceChildren(head, traits, facts);
  }

  hide(): void {
    this.root.hidden = true;
    this.shownId = null;
    this.key = '';
  }
}
