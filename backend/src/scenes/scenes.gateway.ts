import { Logger, UseFilters, UsePipes, ValidationPipe, type OnApplicationShutdown } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
  WsException,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
} from '@nestjs/websockets';
import type { Subscription } from 'rxjs';
import type { Server, Socket } from 'socket.io';
import {
  ClientEvents,
  sceneRoom,
  type ClientToServerEvents,
  type JoinAck,
  type LeaveAck,
  type ServerToClientEvents,
} from '../contract/events.js';
import { WsAckExceptionFilter, wsValidationError } from '../common/ws-exception.filter.js';
import { AppConfig } from '../config/app-config.js';
import { TOO_DEEP_MESSAGE, exceedsDepth } from '../common/json-depth.js';
import { SocketRateLimiter } from '../rate-limit/socket-rate-limiter.js';
import { JoinSceneDto } from './dto/scene.dto.js';
import { SceneEventsService } from './scene-events.service.js';
import { ScenesService } from './scenes.service.js';

/** Longest the gateway waits at shutdown for one socket to send what it holds. */
const DRAIN_WAIT_MS = 2_000;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

type ClientSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, { scenes?: Set<string> }>;

/**
 * socket.io gateway: a room per scene. Payloads are validated like REST bodies; a bad
 * one gets an error ack, and the socket stays connected.
 */
@WebSocketGateway()
@UseFilters(new WsAckExceptionFilter())
@UsePipes(
  new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: wsValidationError,
  }),
)
export class ScenesGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, OnApplicationShutdown {
  private readonly logger = new Logger(ScenesGateway.name);
  private subscription: Subscription | null = null;

  @WebSocketServer()
  server: Server<ClientToServerEvents, ServerToClientEvents>;

  constructor(
    private readonly scenes: ScenesService,
    private readonly events: SceneEventsService,
    private readonly config: AppConfig,
  ) {}

  /** Every incoming event spends from the connection's budget, before any parsing or handler. */
  handleConnection(socket: ClientSocket): void {
    const limiter = new SocketRateLimiter(this.config.rateLimits.socketEventsPer10s);
    socket.use((packet, next) => {
      const verdict = limiter.check();
      // Nesting is checked before any pipe: class-transformer would overflow the stack.
      if (verdict === 'allow' && !exceedsDepth(packet.slice(1))) return next();
      if (verdict === 'allow') {
        const last: unknown = packet[packet.length - 1];
        if (typeof last === 'function')
          (last as (reply: unknown) => void)({ ok: false, error: { code: 'BAD_REQUEST', message: TOO_DEEP_MESSAGE } });
        return;
      }
      if (verdict === 'disconnect') {
        this.logger.warn(
          `Socket ${socket.id} from ${socket.handshake.address} disconnected: kept flooding after RATE_LIMITED`,
        );
        socket.disconnect(true);
        return;
      }
      // socket.io passes the client's ack callback as the packet's last element.
      const ack: unknown = packet[packet.length - 1];
      if (typeof ack === 'function') {
        (ack as (reply: unknown) => void)({
          ok: false,
          error: {
            code: 'RATE_LIMITED',
            message: `Too many events: retry in ${Math.ceil(limiter.retryAfterMs() / 1000)} s`,
          },
        });
      }
    });
  }

  afterInit(server: Server<ClientToServerEvents, ServerToClientEvents>): void {
    this.events.onDrain(() => this.drain());
    this.subscription = this.events.all().subscribe(({ sceneId, event }) => {
      (server.to(sceneRoom(sceneId)).emit as (name: string, payload: unknown) => boolean)(event.name, event.payload);
    });
  }

  /**
   * Waits until every socket has handed its last events to the network. Called at shutdown
   * once the scenes have stopped: socket.io's close discards what is still buffered, and a
   * viewer should see its conversation end before it reconnects to the next start.
   */
  private async drain(): Promise<void> {
    const pending = [...this.server.sockets.sockets.values()].map((socket) => {
      const conn = socket.conn as unknown as {
        writeBuffer: unknown[];
        transport: { writable: boolean };
        once(e: 'drain' | 'close', f: () => void): void;
      };
      if (conn.writeBuffer.length === 0 && conn.transport.writable) return Promise.resolve();
      return Promise.race([
        new Promise<void>((resolve) => (conn.once('drain', resolve), conn.once('close', resolve))),
        delay(DRAIN_WAIT_MS),
      ]);
    });
    await Promise.all(pending);
  }

  /** Late, so the events of scenes stopping at shutdown are still delivered. */
  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }

  @SubscribeMessage(ClientEvents.Join)
  async join(@ConnectedSocket() socket: ClientSocket, @MessageBody() body: JoinSceneDto): Promise<JoinAck> {
    if (!this.scenes.has(body.sceneId))
      throw new WsException({ code: 'NOT_FOUND', message: `Scene ${body.sceneId} not found` });
    const joined = (socket.data.scenes ??= new Set());
    // Join the room before reading the snapshot: a line committed in between arrives
    // twice at worst (the viewer keys lines by lineId), never not at all.
    if (!joined.has(body.sceneId)) {
      joined.add(body.sceneId);
      await socket.join(sceneRoom(body.sceneId));
      this.events.changeVisitors(body.sceneId, 1);
    }
    return { ok: true, snapshot: await this.scenes.snapshot(body.sceneId) };
  }

  @SubscribeMessage(ClientEvents.Leave)
  async leave(@ConnectedSocket() socket: ClientSocket, @MessageBody() body: JoinSceneDto): Promise<LeaveAck> {
    if (socket.data.scenes?.delete(body.sceneId)) {
      await socket.leave(sceneRoom(body.sceneId));
      this.events.changeVisitors(body.sceneId, -1);
    }
    return { ok: true };
  }

  handleDisconnect(socket: ClientSocket): void {
    for (const sceneId of socket.data.scenes ?? []) this.events.changeVisitors(sceneId, -1);
    socket.data.scenes?.clear();
  }
}
