/** Tiny DOM helpers. Server text only ever goes in through textContent. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
): SVGElementTagNameMap[K] {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export const clock = (at: number): string => timeFormat.format(new Date(at));
export const fullTime = (at: number): string => fullFormat.format(new Date(at));

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function header(active: 'scenes' | 'author' | 'scene'): HTMLElement {
  const bar = el('header', 'bar');
  const brand = el('a', 'brand', 'PixelTales');
  brand.href = '/';
  const nav = el('nav', 'nav');
  const scenes = el('a', active === 'scenes' ? 'active' : '', 'Scenes');
  scenes.href = '/';
  const author = el('a', active === 'author' ? 'active' : '', 'Author');
  author.href = '/author';
  nav.append(scenes, author);
  bar.append(brand, nav);
  return bar;
}

/** fetch + JSON with a timeout; throws on HTTP errors. */
export async function getJson<T>(path: string, timeoutMs = 8000): Promise<T> {
  const res = await fetch(path, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
  return (await res.json()) as T;
}
