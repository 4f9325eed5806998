// Media servers view: state, load, sessions, host and WebRTC charts; add and remove.
'use strict';

(function () {
  const I = window.Inspector;
  const esc = I.esc;

  function hostCharts(stats) {
    const host = stats ? stats.host : [];
    const interval = stats ? stats.monitoringInterval : 0;
    const at = (i) => host.map((s) => [s[0], s[i]]);
    const kib = (i) => host.map((s) => [s[0], s[i] / 1024]);
    const note = interval ? '' : '<p class="muted">Host sampling is off (openvidu.pro.stats.monitoring-interval=0).</p>';
    return note + I.chart('CPU', [{ name: 'cpu', points: at(1) }], { unit: '%', max: 100 }) +
      I.chart('Memory', [{ name: 'used', points: at(2) }], { unit: '%', max: 100 }) +
      I.chart('Network', [{ name: 'in', points: kib(4) }, { name: 'out', points: kib(5) }], { unit: 'KiB/s' });
  }

  // Sum (bitrate, lost) or worst (jitter, rtt) of the endpoints of one media server, per sample time.
  function aggregate(endpoints, column, how) {
    const byTime = new Map();
    for (const ep of endpoints) {
      for (const p of ep.points) {
        const v = p[column];
        if (v === null || v === undefined) continue;
        const before = byTime.get(p[0]);
        byTime.set(p[0], before === undefined ? v : (how === 'sum' ? before + v : Math.max(before, v)));
      }
    }
    return [...byTime.entries()].sort((a, b) => a[0] - b[0]);
  }

  function serverCard(server, stats, strategy) {
    const endpoints = stats && stats.webrtc ? Object.entries(stats.webrtc.endpoints)
      .filter(([, ep]) => ep.mediaServer === server.id).map(([name, ep]) => Object.assign({ name }, ep)) : [];
    const webrtcOff = stats && !stats.webrtcInterval;
    // The table lists the endpoints of the latest sample only (the charts keep the ones gone since).
    const latest = stats && stats.webrtc ? Math.max(0, ...Object.values(stats.webrtc.endpoints)
      .map((ep) => (ep.points.length ? ep.points[ep.points.length - 1][0] : 0))) : 0;
    const rows = endpoints.filter((ep) => ep.points.length && ep.points[ep.points.length - 1][0] === latest).map((ep) => {
      const last = ep.points[ep.points.length - 1] || [];
      const cell = (v, unit) => (v === null || v === undefined ? '—' : esc(v) + (unit ? ' ' + unit : ''));
      return '<tr data-endpoint="' + esc(ep.name) + '"><td class="mono">' + esc(ep.name) + '</td><td class="mono">' +
        esc(ep.sessionId) + '</td><td>' + cell(last[1], 'kbps') + '</td><td>' + cell(last[2]) + '</td><td>' +
        cell(last[3], 'ms') + '</td><td>' + cell(last[4], 'ms') + '</td></tr>';
    }).join('');
    return '<article class="card" data-media-server="' + esc(server.id) + '"><div class="card-head"><h3>' + esc(server.id) + '</h3>' +
      '<span class="badge ' + (server.connected ? 'ok' : 'bad') + '" data-connected="' + server.connected + '">' +
      (server.connected ? 'connected' : 'disconnected') + '</span><span class="mono">' + esc(server.uri) + '</span>' +
      '<span class="actions"><label><input type="checkbox" data-force="' + esc(server.id) + '"> force</label>' +
      '<button type="button" class="danger" data-action="remove-server" data-key="rm-' + esc(server.id) +
      '" data-server="' + esc(server.id) + '">Remove</button></span></div>' +
      '<dl class="kv"><dt>IP</dt><dd>' + esc(server.ip) + '</dd><dt>Connected at</dt><dd>' + esc(I.time(server.connectionTime)) +
      '</dd>' + (server.connected ? '' : '<dt>Disconnected at</dt><dd>' + esc(I.time(server.disconnectionTime)) + '</dd>') +
      '<dt>Load (' + esc(strategy) + ')</dt><dd data-load="' + esc(server.load) + '">' + esc(server.load) + '</dd>' +
      '<dt>Sessions</dt><dd data-sessions="' + esc(server.sessions.join(',')) + '">' +
      (server.sessions.map(esc).join(', ') || '—') + '</dd></dl>' +
      '<h4>WebRTC endpoints' + (webrtcOff ? ' <span class="muted">(sampling off: openvidu.pro.stats.webrtc-interval=0)</span>' : '') + '</h4>' +
      '<div class="charts">' +
      I.chart('Bitrate', [{ name: 'total', points: aggregate(endpoints, 1, 'sum') }], { unit: 'kbps' }) +
      I.chart('Packets lost', [{ name: 'total', points: aggregate(endpoints, 2, 'sum') }], {}) +
      I.chart('Jitter', [{ name: 'worst', points: aggregate(endpoints, 3, 'max') }], { unit: 'ms' }) +
      I.chart('Round-trip time', [{ name: 'worst', points: aggregate(endpoints, 4, 'max') }], { unit: 'ms' }) +
      '</div>' + (rows ? '<div class="table-wrap"><table><thead><tr><th scope="col">Endpoint</th><th scope="col">Session</th>' +
      '<th scope="col">Bitrate</th><th scope="col">Lost</th><th scope="col">Jitter</th><th scope="col">RTT</th></tr></thead><tbody>' +
      rows + '</tbody></table></div>' : '') + '</article>';
  }

  function render() {
    const doc = I.state.mediaServers;
    if (!doc) return;
    document.getElementById('count-servers').textContent = '(' + doc.numberOfElements + ')';
    document.getElementById('servers-mode').textContent = doc.cluster
      ? 'Cluster mode, load strategy "' + doc.strategy + '".'
      : 'Single media server (openvidu.pro.cluster=false): adding and removing media servers answers 501.';
    if (I.view !== 'media-servers') return;
    I.render(document.getElementById('host-charts'), hostCharts(I.state.stats));
    I.render(document.getElementById('servers-list'),
      doc.content.map((s) => serverCard(s, I.state.stats, doc.strategy)).join('') || '<p class="muted">No media server.</p>');
  }
  I.on('mediaServers', render);
  I.on('stats', render);
  I.views['media-servers'] = { shown: render };

  document.getElementById('servers-list').addEventListener('click', async (ev) => {
    const button = ev.target.closest('button[data-action="remove-server"]');
    if (!button || !I.confirmed(button)) return;
    const id = button.dataset.server;
    const force = document.querySelector('input[data-force="' + CSS.escape(id) + '"]');
    await I.act('Remove media server ' + id, 'DELETE',
      '/pro/media-servers/' + encodeURIComponent(id) + (force && force.checked ? '?force=true' : ''));
  });
  document.getElementById('add-server').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const uri = ev.target.elements.uri.value.trim();
    const answer = await I.act('Add media server ' + uri, 'POST', '/pro/media-servers', { uri });
    if (answer.ok) ev.target.reset();
  });
})();
