// Key Platform dashboard (S4): polls TenantLock's /v1/dashboard endpoints and counts down against the server's clock.
// Plain DOM, no framework; every value from the server is set as text, never as HTML.
'use strict';

(() => {
  const TOKEN_KEY = 'keyplatform.dashboard.token';
  const POLL_MS = 2000;
  const FETCH_TIMEOUT_MS = 8000;

  const state = {
    token: null,
    claims: null,
    tenants: [],
    selected: null,
    data: null,
    dataKey: null,
    serverNowMs: null, // the server's "now" of the last answer ...
    receivedAt: null, // ... and when it arrived, on this page's monotonic clock
    lastSuccess: null,
    timer: null,
    polling: false,
    pollAgain: false,
  };

  const $ = (id) => document.getElementById(id);

  // ------------------------------------------------------------------ token

  function readFragment() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ''));
    const token = params.get('token');
    if (token) {
      params.delete('token');
      setToken(token);
      // the token leaves the address bar and the history entry at once
      const rest = params.toString();
      history.replaceState(null, '', location.pathname + location.search + (rest ? '#' + rest : ''));
    }
    const tenant = params.get('tenant');
    if (tenant) state.selected = tenant;
  }

  function setToken(raw) {
    const token = raw.trim().replace(/^Bearer\s+/i, '');
    state.token = token;
    state.claims = decodeClaims(token);
    sessionStorage.setItem(TOKEN_KEY, token);
  }

  function forgetToken(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = null;
    state.claims = null;
    stopPolling();
    state.data = null;
    state.dataKey = null;
    $('dashboard').hidden = true;
    $('forget-token').hidden = true;
    $('identity').textContent = '';
    showTokenForm(message);
  }

  // For display and the expiry check only: the server validates the token.
  function decodeClaims(token) {
    try {
      const part = token.split('.')[1];
      const base64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
      const json = new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
      return JSON.parse(json);
    } catch {
      return null;
    }
  }

  function rolesOf(claims) {
    const roles = claims && claims.roles;
    return Array.isArray(roles) ? roles : roles ? [roles] : [];
  }

  function showTokenForm(message) {
    showNotice(message);
    $('token-section').hidden = false;
    $('token-input').value = '';
  }

  function showNotice(message) {
    const notice = $('notice');
    notice.textContent = message || '';
    notice.hidden = !message;
  }

  function showIdentity() {
    const claims = state.claims;
    if (!claims) {
      $('identity').textContent = 'Signed in with a token that is not a readable JWT.';
      return;
    }
    const tenant = claims.tid === '*' ? 'all tenants' : 'tenant ' + claims.tid;
    const expires = claims.exp ? ', token expires ' + formatTime(claims.exp * 1000) : '';
    $('identity').textContent = `Signed in as ${claims.sub} (${tenant}; ${rolesOf(claims).join(', ') || 'no role'})${expires}`;
    $('forget-token').hidden = false;
  }

  // ------------------------------------------------------------------ polling

  function startPolling() {
    $('token-section').hidden = true;
    $('dashboard').hidden = false;
    showNotice('');
    showIdentity();
    pollNow();
  }

  function stopPolling() {
    clearTimeout(state.timer);
    state.timer = null;
  }

  function pollNow() {
    if (!state.token) return;
    if (state.polling) {
      state.pollAgain = true;
      return;
    }
    stopPolling();
    poll();
  }

  async function poll() {
    state.polling = true;
    try {
      await refresh();
    } finally {
      state.polling = false;
      if (state.token) state.timer = setTimeout(poll, state.pollAgain ? 0 : POLL_MS);
      state.pollAgain = false;
    }
  }

  async function getJson(path) {
    const abort = new AbortController();
    const timeout = setTimeout(() => abort.abort(), FETCH_TIMEOUT_MS);
    try {
      const response = await fetch(path, {
        headers: { Authorization: 'Bearer ' + state.token, Accept: 'application/json' },
        cache: 'no-store',
        signal: abort.signal,
      });
      let body = null;
      try {
        body = await response.json();
      } catch {
        body = null;
      }
      return { status: response.status, body, authenticate: response.headers.get('WWW-Authenticate') };
    } finally {
      clearTimeout(timeout);
    }
  }

  // Returns true when the caller may go on; handles 401/403 (a clear message and the token box).
  function accepted(answer) {
    if (answer.status === 401) {
      const why = /error_description="([^"]*)"/.exec(answer.authenticate || '');
      forgetToken('The token was refused' + (why ? ': ' + why[1] : ' (expired, or not issued for this system)') +
        '. Paste a new one.');
      return false;
    }
    if (answer.status === 403) {
      forgetToken('This token may not open the dashboard: ' + ((answer.body && answer.body.detail) ||
        'it needs a tenant administrator or a platform operator') + '. Paste another token.');
      return false;
    }
    return true;
  }

  async function refresh() {
    if (state.claims && state.claims.exp && state.claims.exp * 1000 <= Date.now()) {
      forgetToken(`The token expired at ${formatTime(state.claims.exp * 1000)}. Paste a new one.`);
      return;
    }
    try {
      const list = await getJson('/v1/dashboard/tenants');
      if (!accepted(list)) return;
      if (list.status !== 200 || !list.body) throw new Error(`the dashboard service answered ${list.status}`);
      state.tenants = list.body.tenants.map((t) => t.tenantId);
      if (!state.selected || !state.tenants.includes(state.selected)) state.selected = state.tenants[0] || null;
      renderNav();
      setServerNow(list.body.now);

      if (state.selected) {
        const tenant = await getJson('/v1/dashboard/tenants/' + encodeURIComponent(state.selected));
        if (!accepted(tenant)) return;
        if (tenant.status !== 200 || !tenant.body) throw new Error(`the dashboard service answered ${tenant.status}`);
        setServerNow(tenant.body.now);
        const { now, ...rest } = tenant.body;
        const key = JSON.stringify(rest);
        if (key !== state.dataKey) {
          state.data = tenant.body;
          state.dataKey = key;
          renderTenant(tenant.body);
        }
      } else {
        state.data = null;
        state.dataKey = null;
        replace($('tenant'), el('p', { class: 'empty' }, 'No tenant is known yet: the feature has not been turned on for any tenant.'));
      }
      state.lastSuccess = Date.now();
      setStatus('Live: refreshed every 2 seconds.', false);
    } catch (error) {
      const since = state.lastSuccess ? ' Showing what was known at ' + formatTime(state.lastSuccess) + '.' : '';
      setStatus('Cannot reach the dashboard service (' + (error.message || error) + '); retrying.' + since, true);
    }
    tick();
  }

  function setServerNow(iso) {
    state.serverNowMs = Date.parse(iso);
    state.receivedAt = performance.now();
  }

  function serverNow() {
    return state.serverNowMs === null ? Date.now() : state.serverNowMs + (performance.now() - state.receivedAt);
  }

  function setStatus(text, stale) {
    const status = $('status');
    if (status.textContent !== text) status.textContent = text;
    status.classList.toggle('stale', stale);
  }

  // ------------------------------------------------------------------ countdowns

  function tick() {
    const now = serverNow();
    const clock = document.querySelector('[data-server-clock]');
    if (clock) clock.textContent = formatTime(now);
    for (const node of document.querySelectorAll('[data-deadline]')) {
      const left = Date.parse(node.dataset.deadline) - now;
      const text = left > 0 ? 'in ' + formatDuration(left) : node.dataset.passed;
      if (node.textContent !== text) node.textContent = text;
      node.classList.toggle('pending', left > 0 && node.dataset.kind !== 'due');
      node.classList.toggle('due', left > 0 && node.dataset.kind === 'due');
      node.classList.toggle('passed', left <= 0);
    }
  }

  function formatDuration(ms) {
    let s = Math.ceil(ms / 1000);
    const d = Math.floor(s / 86400);
    s %= 86400;
    const h = Math.floor(s / 3600);
    s %= 3600;
    const m = Math.floor(s / 60);
    s %= 60;
    const parts = [];
    if (d) parts.push(d + ' d');
    if (d || h) parts.push(h + ' h');
    if (d || h || m) parts.push(m + ' min');
    parts.push(s + ' s');
    return parts.join(' ');
  }

  function formatTime(value) {
    const date = new Date(value);
    return isNaN(date) ? '—' : date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  }

  // ------------------------------------------------------------------ DOM helpers

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value === true ? '' : value);
    }
    for (const child of children.flat(Infinity)) {
      if (child !== null && child !== undefined && child !== false) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function replace(parent, ...children) {
    parent.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined));
  }

  function time(iso) {
    return iso ? el('time', { datetime: iso }, formatTime(iso)) : '—';
  }

  // A moment and its countdown; `passed` is what the countdown says once the moment is reached.
  function moment(iso, passed, kind) {
    if (!iso) return '—';
    return [time(iso), ' ', el('span', { class: 'countdown', 'data-deadline': iso, 'data-passed': passed, 'data-kind': kind || 'wait' })];
  }

  const STATE_CLASSES = {
    Active: 'state-ok', Closed: 'state-ok', Locked: 'state-bad', Locking: 'state-busy', Requested: 'state-busy',
    Installing: 'state-busy', Updating: 'state-busy', UnlockingKey: 'state-busy', KeyUnlocked: 'state-busy',
    Failed: 'state-bad', Refused: 'state-bad', Deleted: 'state-idle', Available: 'state-idle',
  };
  const PHASE_NAMES = { UnlockingKey: 'Unlocking key', KeyUnlocked: 'Key unlocked' };
  const SOURCES = { Generated: 'generated', UploadedPfx: 'uploaded .pfx', UploadedByok: 'uploaded .byok' };

  function badge(value) {
    return el('span', { class: 'badge ' + (STATE_CLASSES[value] || 'state-idle') }, PHASE_NAMES[value] || value);
  }

  function shortThumbprint(thumbprint) {
    return thumbprint ? el('span', { class: 'mono', title: thumbprint }, thumbprint.slice(0, 12) + '…') : '—';
  }

  function rule(id) {
    return el('span', { class: 'rule' }, ' (' + id + ')');
  }

  function deadlines(rows) {
    return el('dl', { class: 'deadlines' }, rows.flatMap(([label, ruleId, value]) => [el('dt', {}, label, rule(ruleId)), el('dd', {}, value)]));
  }

  function panel(id, title, wide, body) {
    return el('section', { class: 'panel' + (wide ? ' wide' : ''), id, 'aria-labelledby': id + '-title' },
      el('h3', { id: id + '-title' }, title), body);
  }

  function panelBody(part, render) {
    if (!part || part.status !== 'ok') {
      return el('p', { class: 'panel-message', role: 'status' }, (part && part.message) || 'Not available.');
    }
    return render(part.data);
  }

  function table(caption, headers, rows) {
    return el('table', {},
      el('caption', {}, caption),
      el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows));
  }

  // ------------------------------------------------------------------ rendering

  function renderNav() {
    const nav = $('tenant-nav');
    if (state.tenants.length <= 1) {
      nav.hidden = true;
      return;
    }
    nav.hidden = false;
    replace(nav, el('ul', {}, state.tenants.map((id) => el('li', {},
      el('a', { href: '#tenant=' + encodeURIComponent(id), 'aria-current': id === state.selected ? 'page' : null }, id)))));
  }

  function renderTenant(data) {
    const keyNames = new Map();
    if (data.keys.status === 'ok') {
      for (const region of data.keys.data) for (const key of region.keys) keyNames.set(key.keyId, key.name);
    }
    replace($('tenant'),
      el('h2', { id: 'tenant-title' }, 'Tenant ', el('span', { class: 'mono' }, data.tenantId)),
      el('p', { class: 'status' }, 'Server time ', el('span', { 'data-server-clock': true }, formatTime(data.now))),
      el('div', { class: 'panels' },
        panel('keys', 'Keys', false, panelBody(data.keys, renderKeys)),
        panel('lock', 'Lock progress', false, panelBody(data.locks, renderLocks)),
        panel('environments', 'Environments and their encryption', true,
          panelBody(data.environments, (environments) => renderEnvironments(environments, keyNames)))));
  }

  function renderKeys(regions) {
    if (!regions.length) return el('p', { class: 'empty' }, 'No key yet: generate or upload one.');
    return regions.map((region) => el('div', { class: 'region' },
      table('Region ' + region.region,
        ['Name', 'State', 'Thumbprint', 'Activated at'],
        region.keys.map((key) => el('tr', {},
          el('td', {}, key.name, el('br'), el('span', { class: 'rule', title: 'added ' + formatTime(key.addedAt) }, SOURCES[key.source] || key.source || '')),
          el('td', {}, badge(key.state)),
          el('td', {}, shortThumbprint(key.thumbprint)),
          el('td', {}, time(key.activatedAt))))),
      deadlines([
        ['Next activation allowed at', 'K9', region.nextActivationAllowedAt
          ? moment(region.nextActivationAllowedAt, 'allowed now') : 'no key activated yet'],
        ['Lock allowed at', 'L2', region.lockAllowedAt ? moment(region.lockAllowedAt, 'allowed now') : 'no key activated yet'],
      ])));
  }

  function renderEnvironments(environments, keyNames) {
    const items = environments.items;
    const parts = [];
    if (!items.length) {
      parts.push(el('p', { class: 'empty' }, 'No environment registered.'));
    } else {
      const caption = items.length < environments.total ? `${items.length} of ${environments.total} environments` : `${items.length} environment${items.length === 1 ? '' : 's'}`;
      parts.push(table(caption,
        ['Environment', 'Type', 'Region', 'Protection and key', 'State', 'Locked since', 'Deletion due at (L7)', 'Rewrap (K8)'],
        items.map((env) => el('tr', {},
          el('td', {}, env.name, el('br'), el('span', { class: 'mono rule' }, env.environmentId)),
          el('td', {}, env.type || '—'),
          el('td', {}, env.region || '—'),
          el('td', {}, protection(env, keyNames)),
          el('td', {}, badge(env.state)),
          el('td', {}, time(env.lockedSince)),
          el('td', {}, env.deletionDueAt ? moment(env.deletionDueAt, 'due now', 'due') : '—'),
          el('td', {}, env.rewrapPending ? 'pending' : 'up to date')))));
    }
    if (environments.rewraps.length) {
      parts.push(el('h4', {}, 'Key rewraps (K8)'));
      parts.push(el('ul', {}, environments.rewraps.slice(0, 3).map((run) => el('li', {},
        `To key ${keyNames.get(run.targetKeyId) || run.targetKeyId} (${run.region}), started `, time(run.startedAt), ': ',
        run.total === 0 ? 'no environment to rewrap' : [
          el('progress', { max: run.total, value: run.done, 'aria-label': 'rewrap progress' }), ' ',
          `${run.done} of ${run.total} environments` + (run.failed ? `, ${run.failed} failed` : '') + (run.completed ? ', complete' : ', running')]))));
    }
    return parts;
  }

  function protection(env, keyNames) {
    const key = (id) => keyNames.get(id) || id;
    if (env.applyingTenantKeyId) return `Applying tenant key ${key(env.applyingTenantKeyId)}`;
    if (env.protection === 'TenantKey') return [`Tenant key ${key(env.tenantKeyId)} `, shortThumbprint(env.keyThumbprint)];
    return 'Platform key';
  }

  function renderLocks(cycles) {
    if (!cycles.length) return el('p', { class: 'empty' }, 'Never locked.');
    const latestPerRegion = [];
    const older = [];
    const seen = new Set();
    for (const cycle of cycles) {
      if (seen.has(cycle.progress.region)) older.push(cycle);
      else {
        seen.add(cycle.progress.region);
        latestPerRegion.push(cycle);
      }
    }
    const parts = latestPerRegion.map(renderCycle);
    if (older.length) {
      parts.push(table('Earlier locks', ['Region', 'Phase', 'Requested at', 'Closed at'], older.map((c) => el('tr', {},
        el('td', {}, c.progress.region), el('td', {}, badge(c.progress.phase)),
        el('td', {}, time(c.progress.requestedAt)), el('td', {}, time(c.progress.closedAt))))));
    }
    return parts;
  }

  function renderCycle(cycle) {
    const p = cycle.progress;
    const open = p.phase !== 'Closed' && p.phase !== 'Refused';
    const rows = [
      ['Phase', 'L5', badge(p.phase)],
      ['Region', 'K1', p.region],
      ['Requested', 'L1', [time(p.requestedAt), ' by ', p.requestedBy]],
      ['Environments locked', 'L3', `${p.environmentsLocked} of ${p.environmentsTotal}` +
        (p.environmentsNotLocked.length ? ` (not yet: ${p.environmentsNotLocked.join(', ')})` : '')],
      ['Keys deleted', 'L4', p.keysLocked ? String(p.keysDeleted) : 'not yet'],
    ];
    if (p.completedAt) rows.push(['Time limit', 'L5', ['met, completed at ', time(p.completedAt)]]);
    else if (open) rows.push(['Time limit', 'L5', [moment(cycle.timeLimitAt, 'passed: the lock is late'),
      p.timedOutAt ? [' reported late at ', time(p.timedOutAt)] : '']]);
    if (open) {
      rows.push(['Unlock allowed at', 'L6', moment(p.unlockAllowedAt, 'allowed now')]);
      rows.push(['Deletion due at', 'L7', moment(p.deletionDueAt, 'due now', 'due')]);
    }
    if (p.environmentsUnlocked || p.environmentsDeleted) {
      rows.push(['Unlocked / deleted', 'U2', `${p.environmentsUnlocked} unlocked, ${p.environmentsDeleted} deleted`]);
    }
    if (p.refusalRule) rows.push(['Refused', p.refusalRule, p.refusalReason || '']);
    if (p.keyUnlockFailure) {
      rows.push(['Key unlock failed', 'U1', [time(p.keyUnlockFailedAt), ': ', p.keyUnlockFailure, ' (unlock the key again)']]);
    }
    if (p.closedAt) rows.push(['Closed at', 'U3', time(p.closedAt)]);
    return el('div', { class: 'cycle' }, el('h4', {}, 'Lock ', el('span', { class: 'mono' }, p.lockCycleId)), deadlines(rows));
  }

  // ------------------------------------------------------------------ start

  function start() {
    $('token-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const value = $('token-input').value;
      if (!value.trim()) return;
      setToken(value);
      startPolling();
    });
    $('forget-token').addEventListener('click', () => forgetToken('Token forgotten. Paste a token to go on.'));
    window.addEventListener('hashchange', () => {
      const before = state.token;
      readFragment();
      if (state.token && state.token !== before) startPolling();
      else {
        renderNav();
        pollNow();
      }
    });

    readFragment();
    if (!state.token) {
      const stored = sessionStorage.getItem(TOKEN_KEY);
      if (stored) setToken(stored);
    }
    if (state.token) startPolling();
    else showTokenForm('No token yet: paste a bearer token to see the dashboard.');
    setInterval(tick, 1000);
  }

  start();
})();
