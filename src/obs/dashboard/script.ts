/**
 * The dashboard's browser script (plain ES2017, no build step, no dependencies): asks for the token
 * once (sessionStorage, this tab only), polls the operator API, draws the charts on <canvas>.
 * Written without template literals so it can live in this TypeScript string verbatim.
 */
export const DASHBOARD_JS = String.raw`(function () {
  'use strict';
  var TOKEN_KEY = 'wick.token';
  var POLL_MS = 5000;
  var C = { text: '#e5e9f2', muted: '#8a96b2', grid: 'rgba(138,150,178,0.12)', blue: '#3b82f6', green: '#22c55e', red: '#ef4444', amber: '#f59e0b', violet: '#a78bfa' };
  var state = { token: null, timer: null, selected: null, last: null, busy: false };

  function $(id) { return document.getElementById(id); }
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; }); }
  function isNum(x) { return typeof x === 'number' && isFinite(x); }
  function fmt(x, digits) {
    if (!isNum(x)) return '—';
    var d = digits === undefined ? (Math.abs(x) >= 1000 ? 2 : Math.abs(x) >= 1 ? 2 : 6) : digits;
    return x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  }
  function price(x) { if (!isNum(x)) return '—'; var a = Math.abs(x); return fmt(x, a >= 1000 ? 2 : a >= 1 ? 4 : 6); }
  function qty(x) { if (!isNum(x)) return '—'; return fmt(Math.abs(x), Math.abs(x) >= 100 ? 2 : 5); }
  function signed(x, digits) { if (!isNum(x)) return '—'; return (x > 0 ? '+' : '') + fmt(x, digits === undefined ? 2 : digits); }
  function pct(x) { if (!isNum(x)) return '—'; return (x > 0 ? '+' : '') + (x * 100).toFixed(2) + '%'; }
  function cls(x) { return !isNum(x) || x === 0 ? '' : x > 0 ? 'pos' : 'neg'; }
  function pad(n) { return n < 10 ? '0' + n : String(n); }
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  function time(ms) {
    if (!isNum(ms)) return '—';
    var d = new Date(ms);
    return d.getUTCDate() + ' ' + MONTHS[d.getUTCMonth()] + ' ' + pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
  }
  function dateOnly(ms) { var d = new Date(ms); return d.getUTCDate() + ' ' + MONTHS[d.getUTCMonth()]; }
  function setText(id, text, klass) { var el = $(id); el.textContent = text; if (klass !== undefined) el.className = el.className.replace(/\b(pos|neg)\b/g, '').trim() + (klass ? ' ' + klass : ''); }
  function badge(id, text, kind) { var el = $(id); el.textContent = text; el.className = 'badge' + (kind ? ' ' + kind : ''); }

  // ------------------------------------------------------------------ API
  function api(path, method, body) {
    var init = { method: method || 'GET', headers: { Authorization: 'Bearer ' + state.token, Accept: 'application/json' }, cache: 'no-store' };
    if (body !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
    return fetch(path, init).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (json) {
        if (res.status === 401) { var e = new Error(json && json.error ? json.error.message : 'unauthorised'); e.auth = true; throw e; }
        if (!res.ok) { throw new Error(json && json.error ? json.error.message : json && json.message ? json.message : 'HTTP ' + res.status); }
        return json;
      });
    });
  }

  function showLogin(message) {
    stopPolling();
    document.body.setAttribute('data-state', 'login');
    $('login').hidden = false;
    $('login-error').hidden = !message;
    $('login-error').textContent = message || '';
    $('token').focus();
  }

  var noteTimer = null;
  function banner(text, note) {
    var b = $('banner');
    if (noteTimer !== null) { clearTimeout(noteTimer); noteTimer = null; }
    b.hidden = !text; b.textContent = text || ''; b.className = 'banner' + (note ? ' note' : '');
    if (note && text) noteTimer = setTimeout(function () { banner(''); }, 4000);
  }

  function stopPolling() { if (state.timer !== null) { clearTimeout(state.timer); state.timer = null; } }

  function poll() {
    stopPolling();
    Promise.all([api('/api/status'), api('/api/positions'), api('/api/orders'), api('/api/trades'), api('/api/equity'), api('/api/errors')])
      .then(function (r) {
        $('login').hidden = true;
        if (!$('banner').classList.contains('note')) banner('');
        state.last = { status: r[0], positions: r[1], orders: r[2], trades: r[3], equity: r[4], errors: r[5] };
        render(state.last);
        document.body.setAttribute('data-state', 'ready');
        state.timer = setTimeout(poll, POLL_MS);
      })
      .catch(function (err) {
        if (err.auth) { sessionStorage.removeItem(TOKEN_KEY); state.token = null; showLogin(err.message); return; }
        banner('Cannot reach wick: ' + err.message + ' — retrying.');
        document.body.setAttribute('data-state', 'error');
        state.timer = setTimeout(poll, POLL_MS);
      });
  }

  function control(path, body, question) {
    if (question && !window.confirm(question)) return;
    api(path, 'POST', body).then(function (r) { banner(r && r.message ? r.message : r && r.action ? 'Done: ' + r.action : 'Done', true); poll(); })
      .catch(function (err) { if (err.auth) { showLogin(err.message); return; } banner('Control failed: ' + err.message); });
  }

  // ------------------------------------------------------------------ render
  function render(d) {
    var s = d.status;
    badge('badge-mode', s.mode, s.mode === 'live' ? 'bad' : 'info');
    badge('badge-risk', 'risk ' + s.riskState, s.riskState === 'ACTIVE' ? 'ok' : s.riskState === 'HALTED' ? 'bad' : 'warn');
    $('badge-risk').title = s.haltReason || '';
    if (s.health) { badge('badge-health', 'health ' + s.health.status, s.health.status === 'ok' ? 'ok' : s.health.status === 'degraded' ? 'warn' : 'bad'); $('badge-health').title = s.health.reasons.join('\n'); }
    else $('badge-health').hidden = true;
    $('badge-paused').hidden = !s.entriesPaused;
    $('btn-pause').hidden = s.entriesPaused;
    $('btn-resume').hidden = !s.entriesPaused;
    $('btn-reset').hidden = s.riskState !== 'HALTED';
    if (s.riskState === 'HALTED' && s.haltReason) banner('Kill switch: ' + s.haltReason);

    var ccy = s.quoteCurrency ? ' ' + s.quoteCurrency : '';
    var eq = d.equity;
    var initial = isNum(s.initialEquityQuote) ? s.initialEquityQuote : eq.length > 0 ? eq[0][1] : s.equityQuote;
    var peak = -Infinity, maxDd = 0;
    for (var i = 0; i < eq.length; i++) { peak = Math.max(peak, eq[i][1]); if (peak > 0) maxDd = Math.max(maxDd, (peak - eq[i][1]) / peak); }
    peak = Math.max(peak, s.equityQuote);
    var curDd = peak > 0 ? (peak - s.equityQuote) / peak : 0;
    setText('kpi-equity', fmt(s.equityQuote, 2));
    setText('kpi-equity-sub', (s.quoteCurrency ? s.quoteCurrency + ' · ' : '') + 'cash ' + fmt(s.cashQuote, 2));
    var ret = initial > 0 ? s.equityQuote / initial - 1 : NaN;
    setText('kpi-return', pct(ret), cls(ret));
    setText('kpi-return-sub', 'from ' + fmt(initial, 2) + ccy);
    setText('kpi-dd', (-curDd * 100).toFixed(2) + '%', curDd > 0 ? 'neg' : '');
    setText('kpi-dd-sub', 'max ' + (-maxDd * 100).toFixed(2) + '%');
    var upnl = 0; d.positions.forEach(function (p) { upnl += p.unrealisedPnlQuote; });
    setText('kpi-upnl', signed(upnl), cls(upnl));
    setText('kpi-upnl-sub', d.positions.length + ' open position' + (d.positions.length === 1 ? '' : 's'));
    var wins = d.trades.filter(function (t) { return t.pnl > 0; }).length;
    var net = 0; d.trades.forEach(function (t) { net += t.pnl; });
    setText('kpi-trades', String(d.trades.length));
    setText('kpi-trades-sub', d.trades.length ? 'win ' + Math.round((wins / d.trades.length) * 100) + '% · net ' + signed(net) : 'none yet');
    setText('kpi-model', s.model ? s.model.id : 'no model');
    var drifting = s.model && s.model.driftingSeries ? s.model.driftingSeries : [];
    setText('kpi-model-sub', drifting.length ? 'input drift: no entries on ' + drifting.join(', ') : s.model ? 'on ' + s.model.executionProvider : '—', drifting.length ? 'neg' : '');
    $('kpi-model').title = s.model ? s.model.id : '';

    drawEquity($('equity-chart'), eq);
    $('equity-range').textContent = eq.length ? dateOnly(eq[0][0]) + ' – ' + dateOnly(eq[eq.length - 1][0]) + ' · ' + eq.length + ' bars' : '';
    renderSeries(s.series || []);
    renderPositions(d.positions);
    renderOrders(d.orders);
    renderTrades(d.trades);
    renderErrors(d.errors);
    $('updated').textContent = new Date().toLocaleTimeString();
  }

  function renderPositions(rows) {
    $('positions-count').textContent = rows.length ? rows.length + ' open' : '';
    $('positions-body').innerHTML = rows.length === 0 ? '<tr class="empty"><td colspan="10">No open positions</td></tr>' : rows.map(function (p) {
      return '<tr data-symbol="' + esc(p.symbol) + '"><td><b>' + esc(p.symbol) + '</b></td><td><span class="side ' + esc(p.side) + '">' + esc(p.side) + '</span></td>' +
        '<td class="num">' + qty(p.qtyBase) + '</td><td class="num">' + price(p.avgEntryPriceQuote) + '</td><td class="num">' + price(p.markPriceQuote) + '</td>' +
        '<td class="num neg">' + price(p.stopPriceQuote) + (p.stopNative === false ? ' <span class="muted" title="client-side guard">·c</span>' : '') + '</td>' +
        '<td class="num pos">' + price(p.takeProfitPriceQuote) + '</td>' +
        '<td class="num ' + cls(p.unrealisedPnlQuote) + '">' + signed(p.unrealisedPnlQuote) + '</td><td>' + time(p.openedAtMs) + '</td>' +
        '<td><button class="btn small danger" data-close="' + esc(p.symbol) + '">Close</button></td></tr>';
    }).join('');
  }

  function renderOrders(rows) {
    $('orders-count').textContent = rows.length ? rows.length + ' open' : '';
    $('orders-body').innerHTML = rows.length === 0 ? '<tr class="empty"><td colspan="7">No open orders</td></tr>' : rows.map(function (o) {
      var px = isNum(o.triggerPriceQuote) ? o.triggerPriceQuote : o.limitPriceQuote;
      return '<tr><td>' + esc(o.symbol) + '</td><td>' + esc(o.purpose) + '</td><td><span class="side ' + esc(o.side) + '">' + esc(o.side) + '</span></td><td>' + esc(o.type) + '</td>' +
        '<td class="num">' + qty(o.qtyBase) + '</td><td class="num">' + price(px) + '</td><td>' + esc(o.status) + '</td></tr>';
    }).join('');
  }

  function renderTrades(rows) {
    var recent = rows.slice(-50).reverse();
    $('trades-count').textContent = rows.length ? (rows.length > 50 ? 'last 50 of ' : '') + rows.length : '';
    $('trades-body').innerHTML = recent.length === 0 ? '<tr class="empty"><td colspan="9">No closed trades</td></tr>' : recent.map(function (t) {
      return '<tr><td>' + esc(t.symbol) + '</td><td><span class="side ' + esc(t.side) + '">' + esc(t.side) + '</span></td><td>' + time(t.entryTimeMs) + '</td><td class="num">' + price(t.entryPrice) + '</td>' +
        '<td>' + time(t.exitTimeMs) + '</td><td class="num">' + price(t.exitPrice) + '</td><td class="num">' + qty(t.qty) + '</td>' +
        '<td class="num ' + cls(t.pnl) + '">' + signed(t.pnl) + '</td><td>' + esc(t.exitReason) + '</td></tr>';
    }).join('');
  }

  function renderErrors(rows) {
    $('errors-count').textContent = rows.length ? String(rows.length) : '';
    $('errors-list').innerHTML = rows.length === 0 ? '<li class="empty">No errors</li>' : rows.slice(0, 50).map(function (e) {
      return '<li><span class="muted">' + time(e.timeMs) + '</span><span class="code">' + esc(e.code) + (e.count > 1 ? ' ×' + e.count : '') + '</span><span>' + esc(e.message) + '</span></li>';
    }).join('');
  }

  function renderSeries(series) {
    var tabs = $('series-tabs');
    if (series.length === 0) { tabs.innerHTML = ''; drawPrice($('price-chart'), null); return; }
    if (!series.some(function (x) { return x.id === state.selected; })) state.selected = series[0].id;
    tabs.innerHTML = series.map(function (x) { return '<button class="tab' + (x.id === state.selected ? ' active' : '') + '" data-series="' + esc(x.id) + '">' + esc(x.symbol) + '</button>'; }).join('');
    drawPrice($('price-chart'), series.filter(function (x) { return x.id === state.selected; })[0]);
  }

  // ------------------------------------------------------------------ charts
  function setup(canvas) {
    var dpr = window.devicePixelRatio || 1;
    var w = canvas.clientWidth, h = canvas.clientHeight;
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    var ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.font = '11px ui-sans-serif, system-ui, sans-serif';
    return { ctx: ctx, w: w, h: h };
  }
  function niceTicks(lo, hi, n) {
    var span = hi - lo || Math.abs(hi) || 1, step = Math.pow(10, Math.floor(Math.log10(span / n))), err = (span / n) / step;
    step *= err >= 7.5 ? 10 : err >= 3.5 ? 5 : err >= 1.5 ? 2 : 1;
    var out = []; for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(v);
    return out;
  }
  function empty(g, text) { g.ctx.fillStyle = C.muted; g.ctx.textAlign = 'center'; g.ctx.fillText(text, g.w / 2, g.h / 2); }
  function yAxis(g, ticks, y, x0, x1, label) {
    var ctx = g.ctx; ctx.textAlign = 'left'; ctx.textBaseline = 'middle';
    ticks.forEach(function (v) { var yy = Math.round(y(v)) + 0.5; ctx.strokeStyle = C.grid; ctx.beginPath(); ctx.moveTo(x0, yy); ctx.lineTo(x1, yy); ctx.stroke(); ctx.fillStyle = C.muted; ctx.fillText(label(v), x1 + 6, yy); });
  }
  var TIME_STEPS = [60000, 300000, 900000, 1800000, 3600000, 7200000, 10800000, 21600000, 43200000, 86400000, 172800000, 345600000, 604800000, 1209600000, 2592000000];
  function xAxis(g, t0, t1, x, yTop, yBot) {
    var ctx = g.ctx, n = Math.max(2, Math.floor(g.w / 120)), step = TIME_STEPS[TIME_STEPS.length - 1];
    for (var k = 0; k < TIME_STEPS.length; k++) { if ((t1 - t0) / TIME_STEPS[k] <= n) { step = TIME_STEPS[k]; break; } }
    var daily = step >= 86400000;
    ctx.textBaseline = 'top'; ctx.textAlign = 'center';
    for (var t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
      var xx = Math.round(x(t)) + 0.5;
      ctx.strokeStyle = C.grid; ctx.beginPath(); ctx.moveTo(xx, yTop); ctx.lineTo(xx, yBot); ctx.stroke();
      var label = daily || new Date(t).getUTCHours() === 0 && new Date(t).getUTCMinutes() === 0 ? dateOnly(t) : pad(new Date(t).getUTCHours()) + ':' + pad(new Date(t).getUTCMinutes());
      var w = ctx.measureText(label).width;
      if (xx - w / 2 < 0 || xx + w / 2 > g.w) continue;
      ctx.fillStyle = C.muted; ctx.fillText(label, xx, yBot + 4);
    }
  }

  function drawEquity(canvas, eq) {
    var g = setup(canvas), ctx = g.ctx;
    if (eq.length < 2) { canvas.setAttribute('data-drawn', '0'); empty(g, 'No equity history yet'); return; }
    var L = 8, R = g.w - 72, T = 10, split = Math.round(g.h * 0.68), B = g.h - 22;
    var t0 = eq[0][0], t1 = eq[eq.length - 1][0], lo = Infinity, hi = -Infinity, peak = -Infinity, dd = [], maxDd = 0;
    eq.forEach(function (p) { lo = Math.min(lo, p[1]); hi = Math.max(hi, p[1]); peak = Math.max(peak, p[1]); var v = peak > 0 ? (p[1] - peak) / peak : 0; dd.push(v); maxDd = Math.min(maxDd, v); });
    var padV = (hi - lo) * 0.08 || hi * 0.01 || 1; lo -= padV; hi += padV;
    var x = function (t) { return L + ((t - t0) / (t1 - t0 || 1)) * (R - L); };
    var y = function (v) { return T + (1 - (v - lo) / (hi - lo)) * (split - 8 - T); };
    var ddLo = Math.min(maxDd * 1.15, -0.001), yd = function (v) { return split + 4 + (v / ddLo) * (B - split - 4); };
    xAxis(g, t0, t1, x, T, B);
    yAxis(g, niceTicks(lo, hi, 4), y, L, R, function (v) { return fmt(v, hi - lo > 50 ? 0 : 2); });
    yAxis(g, [0, ddLo / 2, ddLo].map(function (v) { return Math.round(v * 1000) / 1000; }), yd, L, R, function (v) { return (v * 100).toFixed(1) + '%'; });
    // equity: area + line
    var grad = ctx.createLinearGradient(0, T, 0, split);
    grad.addColorStop(0, 'rgba(59,130,246,0.35)'); grad.addColorStop(1, 'rgba(59,130,246,0.02)');
    ctx.beginPath(); eq.forEach(function (p, i) { var xx = x(p[0]), yy = y(p[1]); if (i === 0) ctx.moveTo(xx, yy); else ctx.lineTo(xx, yy); });
    ctx.lineTo(x(t1), split - 8); ctx.lineTo(x(t0), split - 8); ctx.closePath(); ctx.fillStyle = grad; ctx.fill();
    ctx.beginPath(); eq.forEach(function (p, i) { var xx = x(p[0]), yy = y(p[1]); if (i === 0) ctx.moveTo(xx, yy); else ctx.lineTo(xx, yy); });
    ctx.strokeStyle = C.blue; ctx.lineWidth = 2; ctx.stroke(); ctx.lineWidth = 1;
    // drawdown: red area under zero
    ctx.beginPath(); ctx.moveTo(x(t0), yd(0)); eq.forEach(function (p, i) { ctx.lineTo(x(p[0]), yd(dd[i])); }); ctx.lineTo(x(t1), yd(0)); ctx.closePath();
    ctx.fillStyle = 'rgba(239,68,68,0.35)'; ctx.fill(); ctx.strokeStyle = C.red; ctx.stroke();
    ctx.fillStyle = C.muted; ctx.textAlign = 'left'; ctx.textBaseline = 'top'; ctx.fillText('drawdown', L + 4, split + 6);
    // last value tag
    var last = eq[eq.length - 1][1], ly = y(last);
    ctx.fillStyle = C.blue; ctx.fillRect(R + 2, ly - 8, 68, 16); ctx.fillStyle = '#fff'; ctx.textBaseline = 'middle'; ctx.fillText(fmt(last, 2), R + 6, ly);
    canvas.setAttribute('data-drawn', String(eq.length));
  }

  function drawPrice(canvas, s) {
    var g = setup(canvas), ctx = g.ctx;
    var candles = s ? (s.recentCandles && s.recentCandles.length ? s.recentCandles : s.lastCandle ? [s.lastCandle] : []) : [];
    if (candles.length === 0) { canvas.setAttribute('data-drawn', '0'); empty(g, s ? 'No candles yet' : 'No series'); return; }
    candles = candles.slice(-120);
    var preds = (s.predictions || []).filter(function (p) { return p.candleOpenTimeMs >= candles[0].openTimeMs; });
    var sigs = (s.signals || []).filter(function (p) { return p.candleOpenTimeMs >= candles[0].openTimeMs; });
    var L = 8, R = g.w - 84, T = 10, split = preds.length ? Math.round(g.h * 0.72) : g.h - 22, B = g.h - 22;
    var lo = Infinity, hi = -Infinity; candles.forEach(function (c) { lo = Math.min(lo, c.low); hi = Math.max(hi, c.high); });
    var padV = (hi - lo) * 0.06 || hi * 0.01 || 1; lo -= padV; hi += padV;
    var step = candles.length > 1 ? candles[1].openTimeMs - candles[0].openTimeMs : 3600000;
    var t0 = candles[0].openTimeMs, t1 = candles[candles.length - 1].openTimeMs + step;
    var x = function (t) { return L + ((t - t0) / (t1 - t0)) * (R - L); };
    var y = function (v) { return T + (1 - (v - lo) / (hi - lo)) * (split - 8 - T); };
    xAxis(g, t0, t1, x, T, B);
    yAxis(g, niceTicks(lo, hi, 4), y, L, R, function (v) { return Math.abs(v) >= 1000 ? fmt(v, 0) : price(v); });
    var bw = Math.max(1, ((R - L) / candles.length) * 0.7);
    candles.forEach(function (c) {
      var xc = x(c.openTimeMs + step / 2), up = c.close >= c.open; ctx.strokeStyle = ctx.fillStyle = up ? C.green : C.red;
      ctx.beginPath(); ctx.moveTo(Math.round(xc) + 0.5, y(c.high)); ctx.lineTo(Math.round(xc) + 0.5, y(c.low)); ctx.stroke();
      var top = y(Math.max(c.open, c.close)), h = Math.max(1, y(Math.min(c.open, c.close)) - top); ctx.fillRect(xc - bw / 2, top, bw, h);
    });
    // signals: a marker where the target position changes (▲ towards long, ▼ towards flat/short)
    var byTime = {}; candles.forEach(function (c) { byTime[c.openTimeMs] = c; });
    var prev = null;
    sigs.forEach(function (sg) {
      var c = byTime[sg.candleOpenTimeMs];
      if (c && prev !== null && sg.targetFraction !== prev) {
        var up = sg.targetFraction > prev, xc = x(c.openTimeMs + step / 2), yy = up ? y(c.low) + 10 : y(c.high) - 10;
        ctx.fillStyle = up ? C.green : C.amber; ctx.beginPath();
        if (up) { ctx.moveTo(xc, yy - 5); ctx.lineTo(xc - 5, yy + 4); ctx.lineTo(xc + 5, yy + 4); } else { ctx.moveTo(xc, yy + 5); ctx.lineTo(xc - 5, yy - 4); ctx.lineTo(xc + 5, yy - 4); }
        ctx.closePath(); ctx.fill();
      }
      prev = sg.targetFraction;
    });
    var lastC = candles[candles.length - 1], ly = y(lastC.close);
    ctx.fillStyle = lastC.close >= lastC.open ? C.green : C.red; ctx.fillRect(R + 2, ly - 8, 80, 16); ctx.fillStyle = '#fff'; ctx.textAlign = 'left'; ctx.textBaseline = 'middle'; ctx.fillText(price(lastC.close), R + 6, ly);
    // predictions: predicted move per candle as bars around the neutral value
    if (preds.length) {
      var base = s.predictionKind === 'probability' ? 0.5 : 1, m = 1e-9;
      preds.forEach(function (p) { m = Math.max(m, Math.abs(p.value - base)); });
      var mid = (split + B) / 2, half = (B - split) / 2 - 4;
      ctx.strokeStyle = C.grid; ctx.beginPath(); ctx.moveTo(L, Math.round(mid) + 0.5); ctx.lineTo(R, Math.round(mid) + 0.5); ctx.stroke();
      preds.forEach(function (p) { var v = (p.value - base) / m, xc = x(p.candleOpenTimeMs + step / 2); ctx.fillStyle = v >= 0 ? 'rgba(167,139,250,0.9)' : 'rgba(167,139,250,0.45)'; ctx.fillRect(xc - bw / 2, v >= 0 ? mid - v * half : mid, bw, Math.max(1, Math.abs(v) * half)); });
      ctx.fillStyle = C.muted; ctx.textAlign = 'left'; ctx.textBaseline = 'top';
      ctx.fillText('prediction ' + (base === 1 ? '(predicted move, ±' + (m * 100).toFixed(2) + '%)' : '(P(up) − 0.5)'), L + 4, split + 2);
    }
    canvas.setAttribute('data-drawn', String(candles.length));
  }

  // ------------------------------------------------------------------ wiring
  document.addEventListener('DOMContentLoaded', function () {
    $('login-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      var t = $('token').value.trim(); if (!t) return;
      state.token = t; sessionStorage.setItem(TOKEN_KEY, t); $('token').value = ''; $('login-error').hidden = true;
      poll();
    });
    $('btn-logout').addEventListener('click', function () { sessionStorage.removeItem(TOKEN_KEY); state.token = null; showLogin(''); });
    $('btn-pause').addEventListener('click', function () { control('/api/control/pause', undefined, 'Pause new entries? Exits and stops keep working.'); });
    $('btn-resume').addEventListener('click', function () { control('/api/control/resume', undefined, 'Resume new entries?'); });
    $('btn-reset').addEventListener('click', function () { control('/api/control/reset-kill-switch', undefined, 'Reset the kill switch? Trading resumes and the drawdown peak restarts from current equity.'); });
    $('positions-body').addEventListener('click', function (ev) {
      var sym = ev.target && ev.target.getAttribute ? ev.target.getAttribute('data-close') : null;
      if (sym) control('/api/control/close-position', { symbol: sym }, 'Close the whole ' + sym + ' position at market?');
    });
    $('series-tabs').addEventListener('click', function (ev) {
      var id = ev.target && ev.target.getAttribute ? ev.target.getAttribute('data-series') : null;
      if (id && state.last) { state.selected = id; renderSeries(state.last.status.series || []); }
    });
    window.addEventListener('resize', function () { if (state.last) render(state.last); });
    state.token = sessionStorage.getItem(TOKEN_KEY);
    if (state.token) poll(); else showLogin('');
  });
})();
`;
