import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Server, ServerOptions } from 'socket.io';

/** Largest socket.io message accepted, in bytes: client payloads are tiny ids. */
export const SOCKET_MAX_BUFFER_BYTES = 16 * 1024;

/** socket.io with the app's CORS origins and a small message size limit. */
export class ConfiguredIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly corsOrigins: string[] | null,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    return super.createIOServer(port, {
      ...(options as ServerOptions),
      cors: this.corsOrigins ? { origin: this.corsOrigins, credentials: false } : undefined,
      maxHttpBufferSize: SOCKET_MAX_BUFFER_BYTES,
      // A viewer that vanishes without closing is noticed within a minute.
      pingInterval: 25_000,
      pingTimeout: 20_000,
    });
  }
}
