import { io, type Socket } from 'socket.io-client';
import type {
  ClientToServerEvents,
  JoinAck,
  LinePayload,
  ServerEventPayloads,
  ServerToClientEvents,
} from '../../backend/src/contract/events.js';

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A socket.io client that records every event it receives. */
export class RecordingClient {
  readonly socket: TestSocket;
  readonly lines: LinePayload[] = [];
  readonly ticks: ServerEventPayloads['scene:tick'][] = [];
  readonly events: { name: string; payload: unknown }[] = [];

  constructor(url: string) {
    this.socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
    this.socket.onAny((name: string, payload: unknown) => {
      this.events.push({ name, payload });
      if (name === 'conversation:line') this.lines.push(payload as LinePayload);
      if (name === 'scene:tick') this.ticks.push(payload as ServerEventPayloads['scene:tick']);
    });
  }

  connected(): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('connect_error', reject);
    });
  }

  join(sceneId: string): Promise<JoinAck> {
    return this.socket.timeout(5_000).emitWithAck('scene:join', { sceneId });
  }

  /** Emits anything at all, as a hostile or buggy client would. */
  emitRaw(event: string, ...args: unknown[]): Promise<unknown> {
    return (
      this.socket.timeout(5_000) as unknown as { emitWithAck: (e: string, ...a: unknown[]) => Promise<unknown> }
    ).emitWithAck(event, ...args);
  }

  close(): void {
    this.socket.close();
  }
}
