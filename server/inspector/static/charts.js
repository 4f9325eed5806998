// SVG line charts over time (no library): I.chart(title, series, options) returns the HTML of one chart.
'use strict';

(function () {
  const I = window.Inspector = window.Inspector || {};
  const W = 320, H = 120, L = 40, R = 6, T = 8, B = 18;

  function niceMax(value) {
    if (!(value > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(value)));
    for (const m of [1, 2, 2.5, 5, 10]) if (value <= m * p) return m * p;
    return 10 * p;
  }
  function fmt(v) {
    if (v >= 1e6) return (v / 1e6).toFixed(1) + 'M';
    if (v >= 1e3) return (v / 1e3).toFixed(1) + 'k';
    return Number.isInteger(v) ? String(v) : v.toFixed(1);
  }

  // series: [{name, points: [[t, v|null], ...]}]; options: {unit, max}
  I.chart = (title, series, options) => {
    options = options || {};
    const all = [];
    for (const s of series) for (const p of s.points) if (p[1] !== null && p[1] !== undefined) all.push(p);
    const esc = I.esc;
    let body;
    let latest = '';
    if (!all.length) {
      body = '<text x="' + (W / 2) + '" y="' + (H / 2) + '" text-anchor="middle">no samples yet</text>';
    } else {
      const t0 = Math.min(...all.map((p) => p[0])), t1 = Math.max(...all.map((p) => p[0]));
      const vmax = options.max || niceMax(Math.max(...all.map((p) => p[1])));
      const x = (t) => L + (t1 > t0 ? ((t - t0) / (t1 - t0)) * (W - L - R) : (W - L - R) / 2);
      const y = (v) => T + (1 - Math.min(v, vmax) / vmax) * (H - T - B);
      const paths = series.map((s, i) => {
        let d = '', pen = false;
        for (const [t, v] of s.points) {
          if (v === null || v === undefined) { pen = false; continue; }
          d += (pen ? 'L' : 'M') + x(t).toFixed(1) + ' ' + y(v).toFixed(1);
          pen = true;
        }
        const only = s.points.filter((p) => p[1] !== null && p[1] !== undefined);
        const dots = only.length === 1 ? '<circle class="s' + (i % 4) + '" r="2" cx="' + x(only[0][0]) +
          '" cy="' + y(only[0][1]) + '"/>' : '';
        return '<path class="s' + (i % 4) + '" d="' + d + '"><title>' + esc(s.name) + '</title></path>' + dots;
      }).join('');
      body =
        '<line class="axis" x1="' + L + '" y1="' + (H - B) + '" x2="' + (W - R) + '" y2="' + (H - B) + '"/>' +
        '<line class="axis" x1="' + L + '" y1="' + T + '" x2="' + L + '" y2="' + (H - B) + '"/>' +
        '<text x="' + (L - 4) + '" y="' + (T + 8) + '" text-anchor="end">' + fmt(vmax) + '</text>' +
        '<text x="' + (L - 4) + '" y="' + (H - B) + '" text-anchor="end">0</text>' +
        '<text x="' + L + '" y="' + (H - 4) + '">' + esc(I.clock(t0)) + '</text>' +
        '<text x="' + (W - R) + '" y="' + (H - 4) + '" text-anchor="end">' + esc(I.clock(t1)) + '</text>' + paths;
      latest = series.map((s, i) => {
        const last = s.points.filter((p) => p[1] !== null && p[1] !== undefined).pop();
        return '<span class="k' + (i % 4) + '">■ ' + esc(s.name) + ' ' +
          (last ? esc(fmt(last[1])) + ' ' + esc(options.unit || '') : '—') + '</span>';
      }).join('');
    }
    return '<figure class="chart" role="group" aria-label="' + esc(title) + '"><h4>' + esc(title) + '</h4>' +
      '<svg viewBox="0 0 ' + W + ' ' + H + '" role="img" aria-label="' + esc(title) + ' chart">' + body + '</svg>' +
      '<figcaption class="legend">' + latest + '</figcaption></figure>';
  };
})();
