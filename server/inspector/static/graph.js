// The participants of a session and the streams between them, as an SVG graph: I.sessionGraph(session).
'use strict';

(function () {
  const I = window.Inspector = window.Inspector || {};
  const SIZE = 240, RADIUS = 86, NODE = 16;

  // Who receives each stream: {streamId: [subscriber connectionIds]}, from the subscribers of every connection.
  I.flows = (session) => {
    const flows = {};
    for (const c of session.connections.content) {
      for (const sub of c.subscribers) (flows[sub.streamId] = flows[sub.streamId] || []).push(c.connectionId);
    }
    return flows;
  };

  // A short name for a participant: the first text of its client data when that is a JSON object
  // (what applications usually send, e.g. {"clientData": "Alice"}), else the client data, else the id.
  I.displayName = (c) => {
    try {
      const data = JSON.parse(c.clientData);
      if (data && typeof data === 'object') {
        const text = Object.values(data).find((v) => typeof v === 'string' && v);
        if (text) return text;
      }
    } catch (e) { /* not JSON */ }
    return c.clientData || c.connectionId;
  };

  I.sessionGraph = (session) => {
    const esc = I.esc;
    const conns = session.connections.content;
    if (!conns.length) return '<p class="muted">No participant yet.</p>';
    const pos = {};
    conns.forEach((c, i) => {
      const a = (2 * Math.PI * i) / conns.length - Math.PI / 2;
      pos[c.connectionId] = conns.length === 1 ? [SIZE / 2, SIZE / 2]
        : [SIZE / 2 + RADIUS * Math.cos(a), SIZE / 2 + RADIUS * Math.sin(a)];
    });
    const flows = I.flows(session);
    let edges = '';
    for (const c of conns) {
      for (const pub of c.publishers) {
        for (const to of flows[pub.streamId] || []) {
          const a = pos[c.connectionId], b = pos[to];
          if (!b) continue;
          const dx = b[0] - a[0], dy = b[1] - a[1], len = Math.hypot(dx, dy) || 1;
          const ux = dx / len, uy = dy / len;
          // Offset sideways so two opposite flows do not overlap.
          const ox = -uy * 4, oy = ux * 4;
          edges += '<line class="edge" marker-end="url(#arrow-' + esc(session.sessionId) + ')" x1="' +
            (a[0] + ux * NODE + ox).toFixed(1) + '" y1="' + (a[1] + uy * NODE + oy).toFixed(1) + '" x2="' +
            (b[0] - ux * (NODE + 3) + ox).toFixed(1) + '" y2="' + (b[1] - uy * (NODE + 3) + oy).toFixed(1) +
            '"><title>' + esc(pub.streamId + ' → ' + to) + '</title></line>';
        }
      }
    }
    let nodes = '';
    conns.forEach((c, i) => {
      const [x, y] = pos[c.connectionId];
      const label = I.displayName(c);
      nodes += '<g class="node' + (c.publishers.length ? ' publishing' : '') + '"><circle cx="' + x.toFixed(1) +
        '" cy="' + y.toFixed(1) + '" r="' + NODE + '"><title>' + esc(c.connectionId + ' (' + c.role + ')') +
        '</title></circle><text x="' + x.toFixed(1) + '" y="' + (y + 4).toFixed(1) + '" text-anchor="middle">' +
        esc(String(i + 1)) + '</text><text x="' + x.toFixed(1) + '" y="' + (y + NODE + 12).toFixed(1) +
        '" text-anchor="middle">' + esc(label.length > 14 ? label.slice(0, 13) + '…' : label) + '</text></g>';
    });
    return '<svg viewBox="0 0 ' + SIZE + ' ' + (SIZE + 10) + '" role="img" aria-label="Streams of session ' +
      esc(session.sessionId) + '"><defs><marker id="arrow-' + esc(session.sessionId) +
      '" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">' +
      '<path d="M0 0L10 5L0 10z" fill="#0b6e4f"/></marker></defs>' + edges + nodes + '</svg>';
  };
})();
