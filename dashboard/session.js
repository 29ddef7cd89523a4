// Login: exchanges what the operator typed for a read-only token at /dashboard/api/login, and renews it.
// The typed credential is kept in sessionStorage (this tab only) so a reload does not ask again.

const STORE = 'rollcall.dashboard.credential';

/** The Authorization header for what was typed: Basic for an API key (app.key:secret), Bearer for anything else. */
function authorization(credential) {
  const b64 = btoa(unescape(encodeURIComponent(credential)));
  return /^[^.:\s]+\.[^.:\s]+:.+$/.test(credential) ? `Basic ${b64}` : `Bearer ${b64}`;
}

export class Session {
  constructor() {
    this.credential = sessionStorage.getItem(STORE) ?? undefined;
    this.current = undefined;
  }

  get stored() {
    return this.credential !== undefined;
  }

  /** Logs in with `credential`; rejects with the server's Ably error message. */
  async login(credential) {
    const res = await fetch('api/login', {
      method: 'POST',
      headers: { authorization: authorization(credential), accept: 'application/json' },
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      const e = body.error ?? {};
      throw Object.assign(new Error(e.message ?? `login failed (${res.status})`), { code: e.code, statusCode: res.status });
    }
    this.credential = credential;
    sessionStorage.setItem(STORE, credential);
    this.current = body;
    return body;
  }

  /** A token valid for at least another 10 s, renewing it with the stored credential when needed. */
  async token() {
    if (this.current && this.current.expires - Date.now() > 10_000) return this.current;
    if (!this.credential) throw new Error('signed out');
    return this.login(this.credential);
  }

  /** Authorization header for the dashboard's own endpoints. */
  async header() {
    const { token } = await this.token();
    return `Bearer ${btoa(token)}`;
  }

  logout() {
    sessionStorage.removeItem(STORE);
    this.credential = undefined;
    this.current = undefined;
  }
}
