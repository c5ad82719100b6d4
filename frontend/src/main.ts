/**
 * The viewer: a tiny router. `/` scene browser, `/scene/:id` live view, `/author` the
 * author tools. Text from the server is only ever set as text, never as HTML.
 */
import './style.css';
import { showBrowser } from './browser';
import { el, header } from './dom';
import { showScene } from './live/view';

const app = document.querySelector<HTMLDivElement>('#app')!;
const path = location.pathname.replace(/\/+$/, '') || '/';
const scene = /^\/scene\/([^/]+)$/.exec(path);

if (scene) showScene(app, decodeURIComponent(scene[1]));
else if (path === '/author') {
  document.title = 'Author tools · PixelTales';
  const host = el('main', 'author-host');
  app.replaceChildren(header('author'), host);
  // The author tools are their own chunk: visitors never download them.
  import('./author/author')
    .then(({ mountAuthor }) => mountAuthor(host))
    .catch(() =>
      host.replaceChildren(el('p', 'message', 'The author tools could not be loaded. Reload to try again.')),
    );
} else if (path === '/') showBrowser(app);
else {
  const main = el('main', 'placeholder');
  const back = el('a', undefined, 'See the live scenes');
  back.href = '/';
  main.append(el('h1', undefined, 'Nothing here'), back);
  app.replaceChildren(header('scenes'), main);
}
