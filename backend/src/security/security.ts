import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';

/**
 * Security headers for the API and the viewer. The CSP is what the Vite-built viewer
 * needs and no more: its own scripts and styles, Phaser's textures made from `blob:` and
 * `data:` URLs (and its blob workers), and socket.io back to the same origin (`'self'`
 * covers ws:/wss: to the page's own host in CSP3 browsers). No inline scripts anywhere.
 * `upgrade-insecure-requests` is off: the server is often reached over plain http on a
 * LAN address, where upgrading would break every asset.
 */
export function applySecurityHeaders(app: NestExpressApplication): void {
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'"],
          // Swagger UI and Phaser set style attributes; styles cannot run code.
          'style-src': ["'self'", "'unsafe-inline'"],
          'img-src': ["'self'", 'data:', 'blob:'],
          'font-src': ["'self'", 'data:'],
          'media-src': ["'self'", 'data:', 'blob:'],
          'worker-src': ["'self'", 'blob:'],
          'connect-src': ["'self'"],
          'object-src': ["'none'"],
          'base-uri': ["'self'"],
          'form-action': ["'self'"],
          'frame-ancestors': ["'none'"],
        },
      },
      // HSTS only makes sense behind TLS, which a proxy in front terminates and can set.
      strictTransportSecurity: false,
    }),
  );
}
