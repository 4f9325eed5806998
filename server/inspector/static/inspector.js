// OpenVidu Inspector: core (state, live push stream, REST calls, routing, helpers).
'use strict';

(function () {
  const I = window.Inspector = window.Inspector || {};
  I.state = { sessions: null, mediaServers: null, stats: null, recordings: null, recordingList: null };
  I.listeners = { sessions: [], mediaServers: [], stats: [], recordings: [] };
  I.updates = { sessions: 0, mediaServers: 0, stats: 0, recordings: 0 };

  // ----- helpers -----------------------------------------------------------------------------------------
  const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  I.esc = (value) => String(value === null || value === undefined ? '' : value).replace(/[&<>"']/g, (c) => ESC[c]);
  I.time = (ms) => (ms ? new Date(ms).toLocaleString() : '—');
  I.clock = (ms) => (ms ? new Date(ms).toLocaleTimeString() : '—');
  I.duration = (seconds) => {
    if (seconds === null || seconds === undefined) return '—';
    const s = Math.round(Number(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return (h ? h + 'h ' : '') + (h || m ? m + 'm ' : '') + r + 's';
  };
  I.bytes = (n) => {
    if (n === null || n === undefined) return '—';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let v = Number(n), i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (i ? v.toFixed(1) : String(v)) + ' ' + units[i];
  };
  I.url = (path) => new URL(path, window.location.origin).toString();

  // ----- notices -----------------------------------------------------------------------------------------
  I.notice = (text, isError) => {
    const box = document.getElementById('notice');
    const line = document.createElement('div');
    if (isError) line.className = 'error';
    line.textContent = text;
    box.replaceChildren(line);
    clearTimeout(I._noticeTimer);
    I._noticeTimer = setTimeout(() => line.remove(), isError ? 12000 : 6000);
  };

  // ----- REST calls (same origin, the browser's Basic auth) --------------------------------------------
  I.api = async (method, path, body) => {
    const init = { method, credentials: 'same-origin', headers: {} };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const resp = await fetch(I.url(path), init);
    const text = await resp.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
    return { status: resp.status, ok: resp.ok, text, json };
  };
  I.describe = (label, answer) => {
    const message = answer.json && answer.json.message ? answer.json.message : (answer.ok ? '' : answer.text);
    return label + ': ' + answer.status + (message ? ' — ' + message : '');
  };
  // Run a REST action and report its answer in the notice area.
  I.act = async (label, method, path, body) => {
    try {
      const answer = await I.api(method, path, body);
      I.notice(I.describe(label, answer), !answer.ok);
      return answer;
    } catch (e) {
      I.notice(label + ': ' + e, true);
      return { status: 0, ok: false, text: String(e), json: null };
    }
  };

  // A destructive button needs a second click within 4 s.
  I.confirmed = (button) => {
    if (button.classList.contains('armed')) return true;
    button.classList.add('armed');
    const label = button.textContent;
    button.dataset.label = label;
    button.textContent = 'Confirm: ' + label;
    setTimeout(() => {
      if (button.isConnected && button.classList.contains('armed')) {
        button.classList.remove('armed');
        button.textContent = button.dataset.label;
      }
    }, 4000);
    return false;
  };

  // Replace an element's content, keeping keyboard focus on the same control when it still exists.
  I.render = (element, html) => {
    const active = document.activeElement;
    const key = active && element.contains(active) ? active.getAttribute('data-key') : null;
    element.innerHTML = html;
    if (key) {
      const again = element.querySelector('[data-key="' + CSS.escape(key) + '"]');
      if (again) again.focus();
    }
  };

  // ----- live push stream --------------------------------------------------------------------------------
  I.on = (channel, fn) => I.listeners[channel].push(fn);
  function deliver(channel, data) {
    I.state[channel] = data;
    I.updates[channel] = Date.now();
    for (const fn of I.listeners[channel]) {
      try { fn(data); } catch (e) { console.warn('inspector view failed on ' + channel, e); }
    }
  }
  function connect() {
    const live = document.getElementById('live');
    const source = new EventSource(I.url('/inspector/events'));
    I.source = source;
    for (const channel of Object.keys(I.listeners)) {
      source.addEventListener(channel, (ev) => deliver(channel, JSON.parse(ev.data)));
    }
    source.onopen = () => { live.textContent = 'live'; live.className = 'live on'; I.connected = true; };
    source.onerror = () => {
      live.textContent = 'reconnecting…'; live.className = 'live off'; I.connected = false;
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
    };
  }

  // ----- routing -----------------------------------------------------------------------------------------
  I.views = {};
  I.view = null;
  function route() {
    const name = (window.location.hash || '#sessions').slice(1);
    const known = document.querySelector('section[data-view="' + CSS.escape(name) + '"]') ? name : 'sessions';
    for (const section of document.querySelectorAll('main section[data-view]')) {
      section.hidden = section.dataset.view !== known;
    }
    for (const link of document.querySelectorAll('nav a[data-view]')) {
      if (link.dataset.view === known) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    const changed = I.view !== known;
    I.view = known;
    if (changed && I.views[known] && I.views[known].shown) I.views[known].shown();
  }
  window.addEventListener('hashchange', () => { route(); document.getElementById('main').focus(); });

  document.addEventListener('DOMContentLoaded', () => {
    route();
    connect();
  });
})();
