/**
 * The socket.io and SSE contract: event names and payload types. One source of truth,
 * imported by the backend gateway and by the viewer. Plain types only: no decorators,
 * no runtime imports, so the browser bundle can take it as it is.
 */

import type { CharacterAction, CharacterView, Direction } from '../simulation/types.js';

export type { CharacterAction, Direction };
export type SceneStatus = 'running' | 'paused';
/**
 * Whether the scene's lines can be written: `ok`, or `resting` while no model can answer
 * (the provider is down and there is no fallback). Characters then idle instead of talking.
 */
export type StorytellerStatus = 'ok' | 'resting';

export const ClientEvents = {
  Join: 'scene:join',
  Leave: 'scene:leave',
} as const;

export const ServerEvents = {
  Tick: 'scene:tick',
  ConversationStarted: 'conversation:started',
  ConversationLine: 'conversation:line',
  ConversationTyping: 'conversation:typing',
  ConversationEnded: 'conversation:ended',
  Visitors: 'scene:visitors',
  Status: 'scene:status',
  Storyteller: 'scene:storyteller',
} as const;

export type ServerEventName = (typeof ServerEvents)[keyof typeof ServerEvents];

export interface JoinScenePayload {
  sceneId: string;
}
export type LeaveScenePayload = JoinScenePayload;

export interface CharacterPalette {
  skin: string;
  hair: string;
  shirt: string;
  pants: string;
}

/** A character as GET /api/characters/:id returns it: its file's front matter and persona. */
export interface CharacterData {
  id: string;
  name: string;
  sprite: CharacterPalette;
  traits: string[];
  home: string | null;
  topics: string[];
  voice: string[];
  model: string | null;
  temperature: number | null;
  relationships: Record<string, number>;
  persona: string;
  contentHash: string;
  /** A short public biography, the one piece of prose the public view shows. */
  bio?: string;
  /** Card V2 fields kept for round-trips. */
  card?: Record<string, unknown>;
}

/**
 * A character as anyone may see it (GET /api/characters without the author token): what
 * the viewer shows, never the persona, voice, model or card fields.
 */
export type PublicCharacterData = Pick<CharacterData, 'id' | 'name' | 'sprite' | 'traits' | 'home' | 'topics'> & {
  bio: string | null;
};

/** What `scene:tick` carries of a character: the core's view of it, as is. */
export type CharacterPosition = CharacterView;

export interface SnapshotCharacter extends CharacterPosition {
  name: string;
  sprite: CharacterPalette;
  traits: string[];
  conversationId: string | null;
}

export interface LinePayload {
  sceneId: string;
  conversationId: string;
  lineId: number;
  characterId: string;
  text: string;
  emotion: string;
  tick: number;
  /** Milliseconds since the Unix epoch. */
  at: number;
}

export interface SnapshotConversation {
  id: string;
  participants: string[];
  lines: LinePayload[];
}

export interface SceneSnapshot {
  id: string;
  name: string;
  description: string;
  status: SceneStatus;
  tick: number;
  tickMs: number;
  map: string[];
  places: Record<string, [number, number]>;
  characters: SnapshotCharacter[];
  conversations: SnapshotConversation[];
  visitorCount: number;
  storyteller: StorytellerStatus;
  /** LLM tokens spent on the scene's stored lines (all time), and how many lines. */
  usage: SceneUsage;
}

export interface SceneUsage {
  promptTokens: number;
  completionTokens: number;
  lines: number;
}

export interface SceneSummary {
  id: string;
  name: string;
  description: string;
  status: SceneStatus;
  tick: number;
  characterCount: number;
  visitorCount: number;
  cast: { id: string; name: string }[];
}

export interface WsError {
  code: string;
  message: string;
}

export type JoinAck = { ok: true; snapshot: SceneSnapshot } | { ok: false; error: WsError };
export type LeaveAck = { ok: true } | { ok: false; error: WsError };

export interface ServerEventPayloads {
  'scene:tick': { sceneId: string; tick: number; characters: CharacterPosition[] };
  'conversation:started': { sceneId: string; conversationId: string; participants: string[] };
  'conversation:line': LinePayload;
  'conversation:typing': { sceneId: string; characterId: string };
  'conversation:ended': { sceneId: string; conversationId: string; reason: string };
  'scene:visitors': { sceneId: string; count: number };
  'scene:status': { sceneId: string; status: SceneStatus };
  'scene:storyteller': { sceneId: string; status: StorytellerStatus };
}

/** socket.io typed-events maps, for `Server<ClientToServer, ServerToClient>` and `io()`. */
export type ServerToClientEvents = { [K in ServerEventName]: (payload: ServerEventPayloads[K]) => void };
export interface ClientToServerEvents {
  'scene:join': (payload: JoinScenePayload, ack: (result: JoinAck) => void) => void;
  'scene:leave': (payload: LeaveScenePayload, ack?: (result: LeaveAck) => void) => void;
}

/** One event of a scene's stream, as the gateway and SSE deliver it. */
export type SceneStreamEvent = {
  [K in ServerEventName]: { name: K; payload: ServerEventPayloads[K] };
}[ServerEventName];

export const sceneRoom = (sceneId: string): string => `scene:${sceneId}`;
