/**
 * The API explorer at /docs: Swagger UI under Elcorp's name, plus a browser-side DPoP client
 * so that "Try it out" works on protected routes. The device key is made in the browser with
 * WebCrypto as non-extractable (the private key never leaves the browser, not even to this
 * script) and kept in IndexedDB, so the same browser stays the same device across reloads.
 * Tokens stay in memory only: a reload signs out, and nothing long-lived sits in storage
 * that a script could read.
 *
 * The script below is browser code, served as a static file (CSP: script-src 'self'); it is
 * exercised by a real Chromium in test/integration/explorer-browser.test.ts.
 */

export const explorerTitle = 'Elcorp API explorer';

export const explorerScript = String.raw`(() => {
  'use strict';
  const anonymousPaths = /^\/api\/v1\/auth\/(register|login|refresh|mfa\/sms|password\/forgot|password\/reset)$/;
  const refreshAheadMs = 30000;
  const state = { accessToken: null, refreshToken: null, expiresAt: 0, user: null, refreshing: null };
  const encoder = new TextEncoder();

  const base64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const jsonPart = (value) => base64url(encoder.encode(JSON.stringify(value)));

  function keyStore(mode, action) {
    return new Promise((resolve, reject) => {
      const opening = indexedDB.open('elcorp-explorer', 1);
      opening.onupgradeneeded = () => opening.result.createObjectStore('keys');
      opening.onerror = () => reject(opening.error);
      opening.onsuccess = () => {
        const db = opening.result;
        const tx = db.transaction('keys', mode);
        const request = action(tx.objectStore('keys'));
        tx.oncomplete = () => { db.close(); resolve(request.result); };
        tx.onerror = () => { db.close(); reject(tx.error); };
      };
    });
  }

  let device;
  function deviceKey() {
    device ??= (async () => {
      let pair = await keyStore('readonly', (store) => store.get('device'));
      if (!pair) {
        pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
        await keyStore('readwrite', (store) => store.put(pair, 'device'));
      }
      const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey);
      return { privateKey: pair.privateKey, jwk: { kty, crv, x, y } };
    })();
    return device;
  }

  /** RFC 9449 proof for one request; WebCrypto's ECDSA signature is already JWS's r||s. */
  async function proof(method, url, accessToken) {
    const key = await deviceKey();
    const target = new URL(url, location.href);
    const claims = { jti: crypto.randomUUID(), htm: method.toUpperCase(), htu: target.origin + target.pathname, iat: Math.floor(Date.now() / 1000) };
    if (accessToken) claims.ath = base64url(await crypto.subtle.digest('SHA-256', encoder.encode(accessToken)));
    const input = jsonPart({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk }) + '.' + jsonPart(claims);
    const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.privateKey, encoder.encode(input));
    return input + '.' + base64url(signature);
  }

  function adopt(pair) {
    state.accessToken = pair.accessToken;
    state.refreshToken = pair.refreshToken;
    state.expiresAt = Date.now() + pair.expiresIn * 1000;
    if (pair.user) state.user = pair.user;
    render();
  }

  function forget(message) {
    Object.assign(state, { accessToken: null, refreshToken: null, expiresAt: 0, user: null });
    render(message);
  }

  async function post(path, body) {
    const response = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', dpop: await proof('POST', path) },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.detail || answer.title || 'HTTP ' + response.status);
    return answer;
  }

  /** One refresh at a time, whatever the number of requests that need it. */
  function refresh() {
    state.refreshing ??= post('/api/v1/auth/refresh', { refreshToken: state.refreshToken })
      .then(adopt, (err) => forget('Session ended: ' + err.message + '. Sign in again.'))
      .finally(() => { state.refreshing = null; });
    return state.refreshing;
  }

  async function requestInterceptor(request) {
    const url = new URL(request.url, location.href);
    // Sign only for this origin's API: never for the spec itself, never for elsewhere.
    if (url.origin !== location.origin || !url.pathname.startsWith('/api/')) return request;
    if (state.refreshToken && Date.now() > state.expiresAt - refreshAheadMs) await refresh();
    const token = anonymousPaths.test(url.pathname) ? null : state.accessToken;
    request.headers = request.headers || {};
    request.headers.DPoP = await proof(request.method || 'GET', url.href, token);
    if (token) request.headers.Authorization = 'DPoP ' + token;
    return request;
  }

  /** A sign-in or refresh made through "Try it out" signs the explorer in too. */
  function responseInterceptor(response) {
    const path = new URL(response.url, location.href).pathname;
    if (response.ok && /^\/api\/v1\/auth\/(login|refresh)$/.test(path) && response.body && response.body.accessToken) adopt(response.body);
    if (response.ok && path === '/api/v1/auth/logout') forget('Signed out.');
    return response;
  }

  let panel;
  function render(message) {
    if (!panel) return;
    const signedIn = Boolean(state.accessToken);
    panel.querySelector('[data-role=form]').hidden = signedIn;
    panel.querySelector('[data-role=session]').hidden = !signedIn;
    panel.querySelector('[data-role=who]').textContent = signedIn && state.user ? state.user.email + ' (' + (state.user.roles || []).join(', ') + ')' : '';
    panel.querySelector('[data-role=status]').textContent = message || (signedIn ? 'Every request from this page is signed with this browser\'s device key.' : 'Sign in to try protected routes. Your device key stays in this browser.');
  }

  function buildPanel() {
    panel = document.createElement('section');
    panel.className = 'elcorp-session';
    panel.innerHTML =
      '<form data-role="form"><strong>Sign in</strong>' +
      '<input name="email" type="email" placeholder="email" autocomplete="username" required>' +
      '<input name="password" type="password" placeholder="password" autocomplete="current-password" required>' +
      '<input name="otp" inputmode="numeric" placeholder="one-time code (if MFA)" autocomplete="one-time-code">' +
      '<button type="submit">Sign in</button></form>' +
      '<div data-role="session" hidden>Signed in as <strong data-role="who"></strong> <button type="button" data-role="signout">Sign out</button></div>' +
      '<p data-role="status" role="status"></p>';
    panel.querySelector('form').addEventListener('submit', async (event) => {
      event.preventDefault();
      const form = new FormData(event.target);
      const body = { email: form.get('email'), password: form.get('password'), deviceName: 'API explorer' };
      if (form.get('otp')) body.otp = form.get('otp');
      render('Signing in…');
      try {
        adopt(await post('/api/v1/auth/login', body));
        event.target.reset();
      } catch (err) {
        render('Sign-in refused: ' + err.message);
      }
    });
    panel.querySelector('[data-role=signout]').addEventListener('click', async () => {
      const headers = { dpop: await proof('POST', '/api/v1/auth/logout', state.accessToken), authorization: 'DPoP ' + state.accessToken };
      await fetch('/api/v1/auth/logout', { method: 'POST', headers }).catch(() => undefined);
      forget('Signed out.');
    });
    document.body.insertBefore(panel, document.getElementById('swagger-ui'));
    render();
  }

  window.elcorpExplorer = { requestInterceptor, responseInterceptor, proof };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', buildPanel);
  else buildPanel();
})();
`;

export const explorerCss = `
.swagger-ui .topbar { background: #0b3d2e; }
.elcorp-session { font: 14px/1.4 system-ui, sans-serif; max-width: 1460px; margin: 0 auto; padding: 12px 20px; background: #eef5f1; border-bottom: 1px solid #c9ddd2; }
.elcorp-session form, .elcorp-session div { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.elcorp-session input { padding: 6px 8px; border: 1px solid #9bb8a8; border-radius: 4px; }
.elcorp-session button { padding: 6px 14px; border: 0; border-radius: 4px; background: #0b3d2e; color: #fff; cursor: pointer; }
.elcorp-session p { margin: 6px 0 0; color: #35594a; }
`;

export const elcorpLogoSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="180" height="40" viewBox="0 0 180 40">
<rect x="2" y="6" width="28" height="28" rx="6" fill="#f2b705"/>
<path d="M10 13h12v3h-8.5v3h7.5v3h-7.5v3H22v3H10z" fill="#0b3d2e"/>
<text x="40" y="28" font-family="system-ui, sans-serif" font-size="22" font-weight="700" fill="#ffffff">Elcorp API</text>
</svg>`;
