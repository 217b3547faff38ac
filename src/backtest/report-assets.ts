/**
 * The report's inline stylesheet and script. Static text: no result data is ever interpolated
 * here (data reaches the script through escaped JSON blocks), so neither can be injected into.
 */
export const REPORT_CSS = `
:root { --fg: #111827; --muted: #6b7280; --line: #e5e7eb; --bg: #f5f6f8; --card: #fff;
  --strategy: #2563eb; --benchmark: #94a3b8; --loss: #dc2626; --gain: #059669; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 24px 48px; }
header { margin-bottom: 20px; }
.eyebrow { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; font-weight: 600; color: var(--strategy); }
h1 { font-size: 26px; line-height: 1.25; margin: 4px 0 6px; font-weight: 650; overflow-wrap: anywhere; }
h2 { font-size: 15px; margin: 0; font-weight: 600; }
.period { color: var(--muted); margin: 0 0 12px; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; }
.chip { background: var(--card); border: 1px solid var(--line); border-radius: 999px; padding: 2px 10px; font-size: 12px; color: #374151; overflow-wrap: anywhere; }
.chip b { font-weight: 600; color: var(--muted); margin-right: 4px; }
.kpis { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 12px; margin-bottom: 16px; }
.kpi { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.kpi .label { font-size: 12px; color: var(--muted); }
.kpi .value { font-size: 22px; font-weight: 650; font-variant-numeric: tabular-nums; margin-top: 2px; white-space: nowrap; }
.kpi .bench { font-size: 12px; color: var(--muted); font-variant-numeric: tabular-nums; white-space: nowrap; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; margin-bottom: 16px; }
.card-head { display: flex; align-items: baseline; justify-content: space-between; gap: 12px; margin-bottom: 8px; flex-wrap: wrap; }
.note { color: var(--muted); font-size: 12px; }
.legend { display: flex; gap: 16px; font-size: 13px; color: #374151; }
.legend span::before { content: ""; display: inline-block; width: 14px; height: 3px; border-radius: 2px; margin-right: 6px; vertical-align: middle; background: currentColor; }
.legend .strategy { color: var(--strategy); } .legend .benchmark { color: var(--benchmark); } .legend .loss { color: var(--loss); }
.legend span { white-space: nowrap; } .legend span > i { font-style: normal; color: #374151; }
.chart-wrap { position: relative; }
svg.chart { display: block; width: 100%; height: auto; overflow: visible; }
svg.chart .grid line { stroke: #eef0f3; stroke-width: 1; }
svg.chart .grid line.v { stroke: #f3f4f6; }
svg.chart .grid line.axis { stroke: #d1d5db; }
svg.chart .tick { fill: var(--muted); font-size: 12px; font-variant-numeric: tabular-nums; }
svg.chart path.series { fill: none; stroke-width: 1.8; stroke-linejoin: round; stroke-linecap: round; vector-effect: non-scaling-stroke; }
svg.chart path.area { fill-opacity: .14; stroke: none; }
svg.chart .empty { fill: var(--muted); font-size: 14px; }
svg.chart .hover-area { fill: transparent; }
svg.chart .cursor { stroke: #9ca3af; stroke-width: 1; stroke-dasharray: 3 3; pointer-events: none; }
.tooltip { position: absolute; pointer-events: none; background: rgba(17,24,39,.92); color: #fff; font-size: 12px; padding: 6px 8px; border-radius: 6px; white-space: nowrap; font-variant-numeric: tabular-nums; display: none; }
.tooltip i { display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 6px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th { font-size: 12px; font-weight: 600; color: var(--muted); background: #fafafa; position: sticky; top: 0; }
td.l, th.l { text-align: left; }
tbody tr:hover td { background: #f9fafb; }
table.metrics td:first-child { color: #374151; }
table.metrics tr.section td { font-size: 11px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); background: #fafafa; font-weight: 600; }
.metrics-grid { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 28px; align-items: start; }
table.trades td, table.trades th { padding: 5px 8px; font-size: 13px; }
table.breakdown td:last-child { white-space: normal; }
.hscroll { overflow-x: auto; }
table.monthly th, table.monthly td { padding: 5px 6px; font-size: 12.5px; text-align: center; border-bottom: 2px solid #fff; border-right: 2px solid #fff; }
table.monthly td.l, table.monthly th.l { text-align: left; color: #374151; font-weight: 600; background: transparent; }
table.monthly td.year { font-weight: 650; }
table.monthly tbody tr:hover td { filter: brightness(.97); }
.pos { color: var(--gain); } .neg { color: var(--loss); }
.scroll { max-height: 560px; overflow: auto; border: 1px solid var(--line); border-radius: 8px; }
.scroll table td, .scroll table th { border-bottom-color: #f0f1f3; }
details { margin-top: 4px; } summary { cursor: pointer; font-weight: 600; }
dl.defs { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 10px 0 0; font-size: 13px; }
dl.defs dt { font-weight: 600; } dl.defs dd { margin: 0; color: #374151; }
table.config td { text-align: left; white-space: normal; overflow-wrap: anywhere; }
table.config td:first-child { color: var(--muted); width: 220px; }
footer { color: var(--muted); font-size: 12px; margin-top: 24px; text-align: center; }
@media (max-width: 900px) { .kpis { grid-template-columns: repeat(3, minmax(0, 1fr)); } .metrics-grid { grid-template-columns: 1fr; } }
@media print { body { background: #fff; } .card, .kpi { break-inside: avoid; } .scroll { max-height: none; overflow: visible; } }
`;

/**
 * On load: checks that every chart's lines have a real length and box (the test harness reads
 * `data-charts-drawn` from the DOM), then wires a hover read-out of date and values per chart.
 */
export const REPORT_SCRIPT = `
(function () {
  'use strict';
  var MONTHS = ['Jan','Feb','Mar','Apr','May','Jun','Jul','Aug','Sep','Oct','Nov','Dec'];
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function date(t) { var d = new Date(t); return d.getUTCDate() + ' ' + MONTHS[d.getUTCMonth()] + ' ' + d.getUTCFullYear() + ' ' + pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ' UTC'; }
  function value(v, format) {
    if (format === 'percent') return (v * 100).toFixed(2) + ' %';
    return v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  function nearest(ts, t) {
    var lo = 0, hi = ts.length - 1;
    while (hi - lo > 1) { var mid = (lo + hi) >> 1; if (ts[mid] <= t) lo = mid; else hi = mid; }
    return Math.abs(ts[hi] - t) < Math.abs(ts[lo] - t) ? hi : lo;
  }
  function countDrawn() {
    var drawn = 0;
    var charts = document.querySelectorAll('svg.chart');
    for (var i = 0; i < charts.length; i++) {
      var paths = charts[i].querySelectorAll('path.series');
      var ok = paths.length > 0;
      for (var j = 0; j < paths.length; j++) {
        var box = paths[j].getBBox();
        if (!(paths[j].getTotalLength() > 0) || !(box.width > 0)) ok = false;
      }
      if (ok) drawn++;
    }
    document.body.setAttribute('data-charts-drawn', String(drawn));
  }
  function wireHover(wrap) {
    var svg = wrap.querySelector('svg.chart');
    var area = svg && svg.querySelector('.hover-area');
    var blob = wrap.querySelector('script.chart-data');
    if (!svg || !area || !blob) return;
    var data = JSON.parse(blob.textContent || '{}');
    var tip = document.createElement('div');
    tip.className = 'tooltip';
    wrap.appendChild(tip);
    var ns = 'http://www.w3.org/2000/svg';
    var cursor = document.createElementNS(ns, 'line');
    cursor.setAttribute('class', 'cursor');
    cursor.setAttribute('y1', area.getAttribute('y'));
    cursor.setAttribute('y2', String(Number(area.getAttribute('y')) + Number(area.getAttribute('height'))));
    cursor.style.display = 'none';
    svg.appendChild(cursor);
    var x0 = Number(area.getAttribute('x')), w = Number(area.getAttribute('width'));
    var t0 = Number(area.getAttribute('data-t0')), t1 = Number(area.getAttribute('data-t1'));
    svg.addEventListener('mousemove', function (ev) {
      var m = svg.getScreenCTM();
      if (!m || !data.series || data.series.length === 0) return;
      var p = svg.createSVGPoint(); p.x = ev.clientX; p.y = ev.clientY;
      var local = p.matrixTransform(m.inverse());
      if (local.x < x0 || local.x > x0 + w) { tip.style.display = 'none'; cursor.style.display = 'none'; return; }
      var t = t0 + (local.x - x0) / w * (t1 - t0);
      var lines = [];
      var shownT = null;
      for (var i = 0; i < data.series.length; i++) {
        var s = data.series[i];
        if (!s.t.length) continue;
        var k = nearest(s.t, t);
        if (shownT === null) shownT = s.t[k];
        lines.push('<div><i style="background:' + s.color + '"></i>' + s.label + ': ' + value(s.v[k], data.format) + '</div>');
      }
      if (shownT === null) return;
      var cx = x0 + (t1 > t0 ? (shownT - t0) / (t1 - t0) * w : w / 2);
      cursor.setAttribute('x1', String(cx)); cursor.setAttribute('x2', String(cx)); cursor.style.display = '';
      tip.innerHTML = '<div>' + date(shownT) + '</div>' + lines.join('');
      tip.style.display = 'block';
      var rect = wrap.getBoundingClientRect();
      var left = ev.clientX - rect.left + 14;
      if (left + tip.offsetWidth > rect.width) left = ev.clientX - rect.left - tip.offsetWidth - 14;
      tip.style.left = left + 'px';
      tip.style.top = Math.max(0, ev.clientY - rect.top - tip.offsetHeight - 8) + 'px';
    });
    svg.addEventListener('mouseleave', function () { tip.style.display = 'none'; cursor.style.display = 'none'; });
  }
  function init() {
    try { countDrawn(); } catch (e) { document.body.setAttribute('data-charts-error', String(e)); }
    var wraps = document.querySelectorAll('.chart-wrap');
    for (var i = 0; i < wraps.length; i++) { try { wireHover(wraps[i]); } catch (e) { /* read-out is optional */ } }
  }
  if (document.readyState === 'complete') init(); else window.addEventListener('load', init);
})();
`;
