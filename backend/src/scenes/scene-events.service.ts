import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Subject, filter, map, type Observable } from 'rxjs';
import type { SceneStreamEvent, ServerEventName, ServerEventPayloads } from '../contract/events.js';

export interface RoutedSceneEvent {
  sceneId: string;
  event: SceneStreamEvent;
}

/**
 * The stream of everything that happens in scenes, already committed where it must be.
 * The socket.io gateway and the SSE endpoint both deliver from here, so they carry the
 * same events. Also counts each scene's visitors (sockets and SSE streams).
 */
@Injectable()
export class SceneEventsService implements OnModuleDestroy {
  private readonly subject = new Subject<RoutedSceneEvent>();
  private readonly visitors = new Map<string, number>();

  /** Completes every stream, so open SSE responses end and the HTTP server can close. */
  onModuleDestroy(): void {
    this.subject.complete();
  }

  publish<K extends ServerEventName>(sceneId: string, name: K, payload: ServerEventPayloads[K]): void {
    this.subject.next({ sceneId, event: { name, payload } as SceneStreamEvent });
  }

  all(): Observable<RoutedSceneEvent> {
    return this.subject.asObservable();
  }

  forScene(sceneId: string): Observable<SceneStreamEvent> {
    return this.subject.pipe(
      filter((e) => e.sceneId === sceneId),
      map((e) => e.event),
    );
  }

  visitorCount(sceneId: string): number {
    return this.visitors.get(sceneId) ?? 0;
  }

  changeVisitors(sceneId: string, delta: number): void {
    const count = Math.max(0, this.visitorCount(sceneId) + delta);
    if (count === 0) this.visitors.delete(sceneId);
    else this.visitors.set(sceneId, count);
    this.publish(sceneId, 'scene:visitors', { sceneId, count });
  }
}
