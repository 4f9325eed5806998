// Recordings view (list, preview, download, delete) and History view (finished sessions from the CDR).
'use strict';

(function () {
  const I = window.Inspector;
  const esc = I.esc;

  // ----- recordings ------------------------------------------------------------------------------------------
  // The recording's file, as a path of this origin (the browser's Basic auth goes with it).
  // The file of a recording under /recordings/: its url when the server gives one (2.10 public access, 2.12+),
  // else the name OpenVidu 2.11 writes (url is always null in 2.11): <name>.mp4 (COMPOSED with video),
  // <name>.webm (audio-only), <name>.zip (INDIVIDUAL).
  function filePath(rec) {
    if (rec.url) {
      try { return new URL(rec.url, window.location.origin).pathname; } catch (e) { return null; }
    }
    if (!rec.id || !rec.name) return null;
    const ext = rec.outputMode === 'INDIVIDUAL' ? 'zip' : (rec.hasVideo === false ? 'webm' : 'mp4');
    return '/recordings/' + encodeURIComponent(rec.id) + '/' + encodeURIComponent(rec.name) + '.' + ext;
  }

  let recordingsAsked = 0;
  async function loadRecordings() {
    const ask = ++recordingsAsked;
    const answer = await I.api('GET', '/api/recordings');
    if (ask !== recordingsAsked) return; // a newer answer is coming
    const tbody = document.querySelector('#recordings-table tbody');
    if (!answer.ok || !answer.json) {
      I.render(tbody, '<tr><td colspan="8">GET /api/recordings: ' + esc(answer.status) + '</td></tr>');
      return;
    }
    const items = answer.json.items || [];
    I.state.recordingList = items;
    document.getElementById('count-recordings').textContent = '(' + items.length + ')';
    document.getElementById('recordings-empty').hidden = items.length > 0;
    I.render(tbody, items.map((r) => {
      const path = filePath(r);
      const ready = r.status !== 'starting' && r.status !== 'started';
      return '<tr data-recording="' + esc(r.id) + '" data-status="' + esc(r.status) + '"><td class="mono">' + esc(r.id) +
        (r.name && r.name !== r.id ? '<br><span class="muted">' + esc(r.name) + '</span>' : '') + '</td>' +
        '<td class="mono">' + esc(r.sessionId) + '</td><td>' + esc(r.status) + '</td>' +
        '<td>' + esc(r.outputMode) + (r.hasVideo === false ? ' (audio)' : '') + (r.hasAudio === false ? ' (no audio)' : '') + '</td>' +
        '<td>' + esc(I.bytes(r.size)) + '</td><td>' + esc(I.duration(r.duration)) + '</td><td>' + esc(I.time(r.createdAt)) + '</td><td>' +
        (path && ready ? '<button type="button" data-action="preview" data-key="prev-' + esc(r.id) + '" data-recording="' + esc(r.id) + '">Preview</button> ' +
          '<a href="' + esc(path) + '" download data-action="download">Download</a> ' : '') +
        '<button type="button" class="danger" data-action="delete-recording" data-key="del-' + esc(r.id) +
        '" data-recording="' + esc(r.id) + '">Delete</button></td></tr>';
    }).join(''));
  }
  I.loadRecordings = loadRecordings;
  I.views.recordings = { shown: loadRecordings };
  I.on('recordings', () => { if (I.view === 'recordings') loadRecordings(); });
  let recordingFlags = '';
  I.on('sessions', (doc) => {
    const flags = doc.content.filter((s) => s.recording).map((s) => s.sessionId).join(',');
    if (flags !== recordingFlags) {
      recordingFlags = flags;
      if (I.view === 'recordings') loadRecordings();
    }
  });

  function preview(rec) {
    const path = filePath(rec);
    const box = document.getElementById('preview');
    const player = document.getElementById('preview-player');
    const audioOnly = rec.hasVideo === false;
    const tag = audioOnly ? 'audio' : 'video';
    player.innerHTML = '<' + tag + ' controls preload="metadata" src="' + esc(path) + '" data-recording="' + esc(rec.id) + '"></' + tag + '>';
    document.getElementById('preview-title').textContent = 'Preview of ' + rec.id;
    box.hidden = false;
    player.firstChild.focus();
  }
  document.getElementById('preview-close').addEventListener('click', () => {
    document.getElementById('preview-player').replaceChildren();
    document.getElementById('preview').hidden = true;
  });
  document.querySelector('#recordings-table tbody').addEventListener('click', async (ev) => {
    const button = ev.target.closest('button[data-action]');
    if (!button) return;
    const id = button.dataset.recording;
    const rec = (I.state.recordingList || []).find((r) => r.id === id);
    if (button.dataset.action === 'preview' && rec) return preview(rec);
    if (button.dataset.action === 'delete-recording') {
      if (!I.confirmed(button)) return;
      const answer = await I.act('Delete recording ' + id, 'DELETE', '/api/recordings/' + encodeURIComponent(id));
      if (answer.status === 204) {
        const playing = document.querySelector('#preview-player [data-recording="' + CSS.escape(id) + '"]');
        if (playing) document.getElementById('preview-close').click();
      }
      loadRecordings();
    }
  });

  // ----- history ---------------------------------------------------------------------------------------------
  let historyAsked = 0;
  async function loadHistory() {
    const ask = ++historyAsked;
    const query = document.getElementById('history-query').value.trim();
    const answer = await I.api('GET', '/inspector/api/history?sessionId=' + encodeURIComponent(query));
    if (ask !== historyAsked) return; // a newer answer is coming
    const tbody = document.querySelector('#history-table tbody');
    const note = document.getElementById('history-note');
    if (!answer.ok || !answer.json) {
      note.textContent = I.describe('History', answer);
      return;
    }
    const doc = answer.json;
    note.textContent = (doc.cdr ? '' : 'The CDR is off (openvidu.cdr=false): only sessions of earlier CDR files are shown. ') +
      doc.sessions.length + ' finished session(s)' + (doc.truncated ? ' (older ones left out)' : '') + '.';
    I.render(tbody, doc.sessions.map((s) => {
      const people = s.participants.map((p) => '<li class="mono">' + esc(p.participantId) + ' <span class="muted">' +
        esc(p.platform || '') + ' · ' + esc(I.duration(p.duration)) + (p.reason ? ' · ' + esc(p.reason) : '') + '</span></li>').join('');
      return '<tr data-history="' + esc(s.sessionId) + '"><td class="mono"><details><summary>' + esc(s.sessionId) +
        '</summary><ul class="streams">' + (people || '<li class="muted">no participant</li>') + '</ul></details></td>' +
        '<td>' + esc(I.time(s.startTime)) + '</td><td>' + esc(I.duration(s.duration)) + '</td><td>' + esc(I.duration(s.streamingTime)) +
        '</td><td data-users="' + s.users + '">' + s.users + '</td><td data-publishers="' + s.publishers + '">' + s.publishers +
        '</td><td data-subscribers="' + s.subscribers + '">' + s.subscribers + '</td><td class="mono">' +
        (s.recordings.map(esc).join('<br>') || '—') + '</td><td>' + esc(s.reason || '') + '</td></tr>';
    }).join('') || '<tr><td colspan="9" class="muted">No finished session.</td></tr>');
  }
  I.loadHistory = loadHistory;
  I.views.history = { shown: loadHistory };
  document.getElementById('history-search').addEventListener('submit', (ev) => { ev.preventDefault(); loadHistory(); });
})();
