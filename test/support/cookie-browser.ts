/**
 * Just enough of a browser for sign-in tests: a cookie jar (name, path, HttpOnly and expiry
 * honoured; hosts not separated, every test server is on 127.0.0.1, and browsers ignore ports
 * for cookies anyway) and fetch with redirects followed by hand, so each hop can be inspected.
 */
export interface Hop {
  url: string;
  status: number;
  headers: Headers;
  body: string;
}

interface StoredCookie {
  name: string;
  value: string;
  path: string;
  attributes: string;
}

export class CookieBrowser {
  private readonly jar = new Map<string, StoredCookie>();

  /** The Set-Cookie line a cookie last arrived with (to check its attributes). */
  readonly setCookieLines = new Map<string, string>();

  cookie(name: string): string | undefined {
    return [...this.jar.values()].find((c) => c.name === name)?.value;
  }

  /** Replace a cookie's value (tampering, or one sealed by the test). */
  setCookie(name: string, value: string, path = '/'): void {
    this.jar.set(`${name};${path}`, { name, value, path, attributes: '' });
  }

  async request(method: string, url: string, form?: Record<string, string>): Promise<Hop> {
    const target = new URL(url);
    const cookies = [...this.jar.values()]
      .filter(
        (c) => target.pathname === c.path || target.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`),
      )
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    const res = await fetch(url, {
      method,
      redirect: 'manual',
      headers: {
        ...(cookies ? { cookie: cookies } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    for (const line of res.headers.getSetCookie()) this.store(line, target);
    return { url, status: res.status, headers: res.headers, body: await res.text() };
  }

  /** GET, then follow Location headers (resolved against each hop) until `stop` says so or no redirect. */
  async follow(url: string, stop: (next: string) => boolean = () => false, maxHops = 15): Promise<Hop[]> {
    const hops: Hop[] = [];
    let next = url;
    for (let i = 0; i < maxHops; i++) {
      const hop = await this.request('GET', next);
      hops.push(hop);
      const location = hop.headers.get('location');
      if (hop.status < 300 || hop.status >= 400 || !location) return hops;
      next = new URL(location, next).href;
      if (stop(next)) {
        hops.push({ url: next, status: 0, headers: new Headers(), body: '' });
        return hops;
      }
    }
    throw new Error(`more than ${maxHops} redirects from ${url}`);
  }

  private store(line: string, from: URL): void {
    const [pair = '', ...attrs] = line.split(';').map((s) => s.trim());
    const at = pair.indexOf('=');
    const name = pair.slice(0, at);
    const value = pair.slice(at + 1);
    const attr = (key: string) =>
      attrs.find((a) => a.toLowerCase().startsWith(`${key.toLowerCase()}=`))?.slice(key.length + 1);
    const path = attr('path') ?? from.pathname.replace(/\/[^/]*$/, '') ?? '/';
    const maxAge = attr('max-age');
    const expires = attr('expires');
    this.setCookieLines.set(name, line);
    const key = `${name};${path || '/'}`;
    const gone = (maxAge !== undefined && Number(maxAge) <= 0) || (expires && Date.parse(expires) <= Date.now());
    if (gone || value === '') this.jar.delete(key);
    else this.jar.set(key, { name, value, path: path || '/', attributes: attrs.join('; ') });
  }
}
