// Configuration view: the live configuration (GET /pro/config) and the restart form (POST /pro/restart).
'use strict';

(function () {
  const I = window.Inspector;
  const esc = I.esc;
  let properties = [];

  function fieldHtml(p) {
    const id = 'prop-' + p.name.replace(/[^a-z0-9]/gi, '-');
    let input;
    if (p.secret) {
      input = '<input id="' + id + '" name="' + esc(p.name) + '" type="password" autocomplete="new-password" value="" ' +
        'placeholder="unchanged" data-secret="true">';
    } else if (p.type === 'boolean') {
      input = '<select id="' + id + '" name="' + esc(p.name) + '"><option value="true"' + (p.value ? ' selected' : '') +
        '>true</option><option value="false"' + (p.value ? '' : ' selected') + '>false</option></select>';
    } else if (p.choices) {
      input = '<select id="' + id + '" name="' + esc(p.name) + '">' + p.choices.map((c) => '<option' +
        (c === p.value ? ' selected' : '') + '>' + esc(c) + '</option>').join('') + '</select>';
    } else if (p.type === 'array') {
      input = '<textarea id="' + id + '" name="' + esc(p.name) + '" rows="2">' + esc(JSON.stringify(p.value)) + '</textarea>';
    } else if (p.type === 'integer' || p.type === 'number') {
      input = '<input id="' + id + '" name="' + esc(p.name) + '" type="text" inputmode="decimal" value="' + esc(p.value) + '">';
    } else {
      input = '<input id="' + id + '" name="' + esc(p.name) + '" type="text" value="' + esc(p.value) + '">';
    }
    return '<div class="field" data-property="' + esc(p.name) + '"><label for="' + id + '">' + esc(p.name) + '</label>' + input +
      '<span class="help">' + esc(p.doc) + ' Allowed: ' + esc(p.allowed) + '.</span>' +
      '<p class="field-error" id="' + id + '-error" role="alert"></p></div>';
  }

  // The JSON value of one field as /pro/restart expects it (native types); text that is no number stays text,
  // so the server names the property in its 400 answer.
  function valueOf(p, raw) {
    if (p.type === 'boolean') return raw === 'true';
    if (p.type === 'integer' || p.type === 'number') {
      const n = Number(raw);
      return raw.trim() !== '' && Number.isFinite(n) ? n : raw;
    }
    if (p.type === 'array') {
      try { return JSON.parse(raw); } catch (e) { return raw; }
    }
    return raw;
  }

  async function load() {
    const [config, props] = await Promise.all([I.api('GET', '/pro/config'), I.api('GET', '/inspector/api/properties')]);
    if (config.ok && config.json) {
      I.state.config = config.json;
      I.render(document.getElementById('config-list'), Object.entries(config.json).map(([k, v]) =>
        '<dt>' + esc(k) + '</dt><dd data-config="' + esc(k) + '">' + esc(typeof v === 'string' ? v : JSON.stringify(v)) + '</dd>').join(''));
    }
    if (props.ok && props.json) {
      properties = props.json.content;
      I.render(document.getElementById('restart-fields'), properties.map(fieldHtml).join(''));
    }
  }
  I.loadConfig = load;
  I.views.config = { shown: load };

  function clearErrors() {
    document.getElementById('restart-error').textContent = '';
    for (const field of document.querySelectorAll('#restart-fields .field')) {
      field.classList.remove('invalid');
      field.querySelector('.field-error').textContent = '';
    }
  }

  // Show a 400 message next to the property it names (the longest name found in the message wins).
  function showError(message) {
    const named = properties.map((p) => p.name).filter((n) => message.includes(n)).sort((a, b) => b.length - a.length)[0];
    const field = named ? document.querySelector('#restart-fields .field[data-property="' + CSS.escape(named) + '"]') : null;
    if (!field) {
      document.getElementById('restart-error').textContent = message;
      return;
    }
    field.classList.add('invalid');
    field.querySelector('.field-error').textContent = message;
    const input = field.querySelector('input, select, textarea');
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }

  async function waitBack(changes) {
    for (let i = 0; i < 60; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      try {
        const answer = await I.api('GET', '/inspector/api/properties');
        if (!answer.ok || !answer.json) continue;
        const now = Object.fromEntries(answer.json.content.map((p) => [p.name, p.value]));
        const secret = new Set(answer.json.content.filter((p) => p.secret).map((p) => p.name));
        if (Object.entries(changes).every(([k, v]) => secret.has(k) || JSON.stringify(now[k]) === JSON.stringify(v))) {
          I.notice('The server restarted with the new properties.');
          load();
          return;
        }
      } catch (e) { /* still restarting */ }
    }
    I.notice('The server did not come back with the new properties within 60 s.', true);
  }

  document.getElementById('restart-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors();
    const form = ev.target;
    const body = {};
    for (const p of properties) {
      const element = form.elements[p.name];
      if (!element) continue;
      if (p.secret && element.value === '') continue;
      const value = valueOf(p, element.value);
      if (JSON.stringify(value) !== JSON.stringify(p.value)) body[p.name] = value;
    }
    if (!Object.keys(body).length) {
      document.getElementById('restart-error').textContent = 'Nothing changed.';
      return;
    }
    const answer = await I.act('Restart', 'POST', '/pro/restart', body);
    if (answer.status === 400) {
      showError(answer.json && answer.json.message ? answer.json.message : answer.text);
    } else if (answer.ok) {
      I.notice('Restarting with ' + JSON.stringify(body) + '…');
      waitBack(body);
    } else {
      document.getElementById('restart-error').textContent = I.describe('Restart', answer);
    }
  });
})();
