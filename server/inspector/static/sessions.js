// Live sessions view: participants, streams, flows and moderation.
'use strict';

(function () {
  const I = window.Inspector;
  const esc = I.esc;
  const cards = new Map(); // sessionId -> {element, json}

  function mediaText(options) {
    const parts = [];
    if (options.hasAudio) {
      parts.push('<span class="badge ' + (options.audioActive ? 'ok' : 'muted-state') + '" data-audio="' +
        (options.audioActive ? 'active' : 'muted') + '">audio ' + (options.audioActive ? 'on' : 'muted') + '</span>');
    } else {
      parts.push('<span class="badge" data-audio="none">no audio</span>');
    }
    if (options.hasVideo) {
      parts.push('<span class="badge ' + (options.videoActive ? 'ok' : 'muted-state') + '" data-video="' +
        (options.videoActive ? 'active' : 'muted') + '">' + esc(options.typeOfVideo || 'video') + ' ' +
        (options.videoActive ? 'on' : 'muted') + '</span>');
      const details = [options.videoDimensions, options.frameRate ? options.frameRate + ' fps' : ''].filter(Boolean);
      if (details.length) parts.push('<span class="muted">' + esc(details.join(', ')) + '</span>');
    } else {
      parts.push('<span class="badge" data-video="none">no video</span>');
    }
    const filter = options.filter && Object.keys(options.filter).length ? options.filter : null;
    if (filter) parts.push('<span class="badge" data-filter="' + esc(filter.type || '') + '">filter ' + esc(filter.type || JSON.stringify(filter)) + '</span>');
    return parts.join(' ');
  }

  function participantRow(session, c, index, flows, numbers) {
    const sid = session.sessionId;
    const publishes = c.publishers.map((pub) => {
      const to = (flows[pub.streamId] || []).map((id) => '#' + numbers[id]).join(', ') || 'nobody';
      return '<li data-stream="' + esc(pub.streamId) + '"><span class="mono">' + esc(pub.streamId) + '</span><br>' +
        mediaText(pub.mediaOptions) + '<br><span class="muted">to ' + esc(to) + '</span> ' +
        '<button type="button" class="danger" data-action="unpublish" data-key="unpub-' + esc(pub.streamId) +
        '" data-session="' + esc(sid) + '" data-stream="' + esc(pub.streamId) + '">Unpublish</button></li>';
    }).join('');
    const receives = c.subscribers.map((sub) => {
      const from = sub.streamId.split('_')[0];
      return '<li class="mono" data-receives="' + esc(sub.streamId) + '">' + esc(sub.streamId) +
        (numbers[from] ? ' <span class="muted">(from #' + numbers[from] + ')</span>' : '') + '</li>';
    }).join('');
    return '<tr data-connection="' + esc(c.connectionId) + '"><td data-label="#">' + (index + 1) + '</td>' +
      '<td class="mono" data-label="Connection">' + esc(c.connectionId) + '</td><td data-label="Role">' + esc(c.role) + '</td>' +
      '<td data-label="Data">' + esc(c.clientData) + (c.serverData ? '<br><span class="muted">server: ' + esc(c.serverData) + '</span>' : '') + '</td>' +
      '<td data-label="Platform">' + esc(c.platform) + '<br><span class="muted">' + esc(c.location) + ' · ' + esc(I.clock(c.createdAt)) + '</span></td>' +
      '<td data-label="Publishes"><ul class="streams">' + (publishes || '<li class="muted">—</li>') + '</ul></td>' +
      '<td data-label="Receives"><ul class="streams">' + (receives || '<li class="muted">—</li>') + '</ul></td>' +
      '<td data-label=""><button type="button" class="danger" data-action="disconnect" data-key="disc-' + esc(c.connectionId) +
      '" data-session="' + esc(sid) + '" data-connection="' + esc(c.connectionId) + '">Disconnect</button></td></tr>';
  }

  const plural = (n, word) => n + ' ' + word + (n === 1 ? '' : 's');

  function cardHtml(session) {
    const sid = session.sessionId;
    const conns = session.connections.content;
    const flows = I.flows(session);
    const numbers = {};
    conns.forEach((c, i) => { numbers[c.connectionId] = i + 1; });
    const publishers = conns.reduce((n, c) => n + c.publishers.length, 0);
    const subscribers = conns.reduce((n, c) => n + c.subscribers.length, 0);
    const rows = conns.map((c, i) => participantRow(session, c, i, flows, numbers)).join('');
    return '<div class="card-head"><h3>' + esc(sid) + '</h3>' +
      (session.recording ? '<span class="badge rec" data-recording="true">● recording</span>' : '') +
      '<span class="badge ' + (session.active ? 'ok' : '') + '">' + (session.active ? 'active' : 'not active') + '</span>' +
      '<span class="muted">' + esc(session.mediaMode) + ' · ' + esc(session.recordingMode) +
      (session.mediaServer ? ' · on ' + esc(session.mediaServer) : '') + ' · since ' + esc(I.time(session.createdAt)) + '</span>' +
      '<span class="muted" data-counts="' + conns.length + '/' + publishers + '/' + subscribers + '">' +
      plural(conns.length, 'participant') + ', ' + plural(publishers, 'publisher') + ', ' +
      plural(subscribers, 'subscriber') + '</span>' +
      '<span class="actions">' +
      '<button type="button" data-action="signal" data-key="sig-' + esc(sid) + '" data-session="' + esc(sid) + '">Send signal</button>' +
      (session.recording
        ? '<button type="button" data-action="stop-recording" data-key="rec-' + esc(sid) + '" data-session="' + esc(sid) + '">Stop recording</button>'
        : '<button type="button" data-action="start-recording" data-key="rec-' + esc(sid) + '" data-session="' + esc(sid) + '">Start recording</button>') +
      '<button type="button" class="danger" data-action="close-session" data-key="close-' + esc(sid) + '" data-session="' + esc(sid) + '">Close session</button>' +
      '</span></div>' +
      '<div class="session-body"><div class="table-wrap"><table class="participants"><thead><tr><th scope="col">#</th><th scope="col">Connection</th>' +
      '<th scope="col">Role</th><th scope="col">Data</th><th scope="col">Platform</th><th scope="col">Publishes</th>' +
      '<th scope="col">Receives</th><th scope="col"><span class="muted">Actions</span></th></tr></thead><tbody>' +
      (rows || '<tr><td colspan="8" class="muted">No participant.</td></tr>') + '</tbody></table></div>' +
      '<div class="graph">' + I.sessionGraph(session) + '</div></div>';
  }

  function renderSessions(doc) {
    const list = document.getElementById('sessions-list');
    document.getElementById('count-sessions').textContent = '(' + doc.numberOfElements + ')';
    document.getElementById('sessions-empty').hidden = doc.numberOfElements > 0;
    const seen = new Set();
    let previous = null;
    for (const session of doc.content) {
      seen.add(session.sessionId);
      const json = JSON.stringify(session);
      let card = cards.get(session.sessionId);
      if (!card) {
        const element = document.createElement('article');
        element.className = 'card';
        element.dataset.session = session.sessionId;
        card = { element, json: '' };
        cards.set(session.sessionId, card);
      }
      if (card.json !== json) {
        I.render(card.element, cardHtml(session));
        card.json = json;
      }
      const wanted = previous ? previous.nextSibling : list.firstChild;
      if (wanted !== card.element) list.insertBefore(card.element, wanted);
      previous = card.element;
    }
    for (const [sid, card] of cards) {
      if (!seen.has(sid)) { card.element.remove(); cards.delete(sid); }
    }
  }
  I.on('sessions', renderSessions);

  // ----- recordings of a session (start/stop) ---------------------------------------------------------------
  async function stopRecording(sid) {
    const listed = await I.api('GET', '/api/recordings');
    const items = listed.json && Array.isArray(listed.json.items) ? listed.json.items : [];
    const running = items.filter((r) => r.sessionId === sid && (r.status === 'started' || r.status === 'starting'));
    if (!running.length) {
      I.notice('Stop recording: no started recording of ' + sid + ' in GET /api/recordings (' + listed.status + ')', true);
      return;
    }
    for (const r of running) await I.act('Stop recording ' + r.id, 'POST', '/api/recordings/stop/' + encodeURIComponent(r.id));
  }

  // ----- signal dialog ---------------------------------------------------------------------------------------
  const dialog = document.getElementById('signal-dialog');
  let signalSession = null;
  function openSignal(sid) {
    const session = (I.state.sessions ? I.state.sessions.content : []).find((s) => s.sessionId === sid);
    if (!session) return;
    signalSession = sid;
    document.getElementById('signal-session').textContent = 'Session ' + sid;
    document.getElementById('signal-error').textContent = '';
    document.getElementById('signal-to').innerHTML = session.connections.content.map((c) =>
      '<label class="to-option"><input type="checkbox" name="to" value="' + esc(c.connectionId) + '"> ' +
      esc(c.connectionId) + (c.clientData ? ' — ' + esc(c.clientData) : '') + '</label>').join('') ||
      '<p class="muted">No participant.</p>';
    dialog.showModal();
    document.getElementById('signal-type').focus();
  }
  document.getElementById('signal-cancel').addEventListener('click', () => dialog.close());
  document.getElementById('signal-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const to = [...form.querySelectorAll('input[name="to"]:checked')].map((x) => x.value);
    const body = { type: form.elements.type.value, data: form.elements.data.value };
    if (to.length) body.to = to;
    const answer = await I.act('Signal to ' + signalSession, 'POST',
      '/inspector/api/sessions/' + encodeURIComponent(signalSession) + '/signal', body);
    if (answer.ok) dialog.close();
    else document.getElementById('signal-error').textContent = I.describe('Refused', answer);
  });

  // ----- moderation buttons ----------------------------------------------------------------------------------
  document.getElementById('sessions-list').addEventListener('click', async (ev) => {
    const button = ev.target.closest('button[data-action]');
    if (!button) return;
    const { action, session, connection, stream } = button.dataset;
    const sid = encodeURIComponent(session);
    if (action === 'signal') return openSignal(session);
    if (action === 'start-recording') {
      return I.act('Start recording of ' + session, 'POST', '/api/recordings/start', { session });
    }
    if (action === 'stop-recording') return stopRecording(session);
    if (!I.confirmed(button)) return;
    button.disabled = true;
    if (action === 'close-session') await I.act('Close session ' + session, 'DELETE', '/api/sessions/' + sid);
    else if (action === 'disconnect') {
      await I.act('Disconnect ' + connection, 'DELETE', '/api/sessions/' + sid + '/connection/' + encodeURIComponent(connection));
    } else if (action === 'unpublish') {
      await I.act('Unpublish ' + stream, 'DELETE', '/api/sessions/' + sid + '/stream/' + encodeURIComponent(stream));
    }
    if (button.isConnected) button.disabled = false;
  });
})();
