/** The dashboard's HTML shell; src/obs/dashboard/script.ts fills it from the operator API. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>wick · operator</title>
<link rel="icon" type="image/svg+xml" href="/dashboard/icon.svg">
<link rel="stylesheet" href="/dashboard/app.css">
<script src="/dashboard/app.js" defer></script>
</head>
<body data-state="loading">
<div id="login" class="login" hidden>
  <form id="login-form" class="login-card" autocomplete="off">
    <div class="brand"><span class="logo">◆</span> wick</div>
    <p class="muted">Enter the operator token (WICK_API_TOKEN). It is kept in this tab only.</p>
    <input id="token" name="token" type="password" placeholder="Bearer token" autocomplete="current-password" required>
    <p id="login-error" class="error" hidden></p>
    <button type="submit" class="btn primary">Connect</button>
  </form>
</div>
<header class="topbar">
  <div class="brand"><span class="logo">◆</span> wick <span class="sub">operator</span></div>
  <div class="badges">
    <span id="badge-mode" class="badge">—</span>
    <span id="badge-risk" class="badge">—</span>
    <span id="badge-health" class="badge">—</span>
    <span id="badge-paused" class="badge warn" hidden>entries paused</span>
  </div>
  <div class="spacer"></div>
  <div class="controls">
    <button id="btn-pause" class="btn">Pause entries</button>
    <button id="btn-resume" class="btn" hidden>Resume entries</button>
    <button id="btn-reset" class="btn danger" hidden>Reset kill switch</button>
    <button id="btn-logout" class="btn ghost" title="Forget the token">Sign out</button>
  </div>
</header>
<div id="banner" class="banner" hidden></div>
<main>
  <section class="kpis">
    <div class="kpi"><div class="label">Equity</div><div id="kpi-equity" class="value">—</div><div id="kpi-equity-sub" class="sub">—</div></div>
    <div class="kpi"><div class="label">Return</div><div id="kpi-return" class="value">—</div><div id="kpi-return-sub" class="sub">since start</div></div>
    <div class="kpi"><div class="label">Drawdown</div><div id="kpi-dd" class="value">—</div><div id="kpi-dd-sub" class="sub">—</div></div>
    <div class="kpi"><div class="label">Unrealised PnL</div><div id="kpi-upnl" class="value">—</div><div id="kpi-upnl-sub" class="sub">—</div></div>
    <div class="kpi"><div class="label">Closed trades</div><div id="kpi-trades" class="value">—</div><div id="kpi-trades-sub" class="sub">—</div></div>
    <div class="kpi"><div class="label">Model</div><div id="kpi-model" class="value small">—</div><div id="kpi-model-sub" class="sub">—</div></div>
  </section>
  <section class="grid2">
    <div class="panel">
      <div class="panel-head"><h2>Equity &amp; drawdown</h2><span id="equity-range" class="muted"></span></div>
      <canvas id="equity-chart" class="chart" data-drawn="0"></canvas>
    </div>
    <div class="panel">
      <div class="panel-head"><h2>Price, predictions &amp; signals</h2><div id="series-tabs" class="tabs"></div></div>
      <canvas id="price-chart" class="chart" data-drawn="0"></canvas>
    </div>
  </section>
  <section class="panel">
    <div class="panel-head"><h2>Open positions</h2><span id="positions-count" class="muted"></span></div>
    <table class="table"><thead><tr><th>Symbol</th><th>Side</th><th class="num">Qty</th><th class="num">Entry</th><th class="num">Mark</th><th class="num">Stop</th><th class="num">Take profit</th><th class="num">Unrealised PnL</th><th>Opened</th><th></th></tr></thead>
    <tbody id="positions-body"><tr class="empty"><td colspan="10">No open positions</td></tr></tbody></table>
  </section>
  <section class="grid2">
    <div class="panel">
      <div class="panel-head"><h2>Open orders</h2><span id="orders-count" class="muted"></span></div>
      <table class="table"><thead><tr><th>Symbol</th><th>Purpose</th><th>Side</th><th>Type</th><th class="num">Qty</th><th class="num">Trigger / limit</th><th>Status</th></tr></thead>
      <tbody id="orders-body"><tr class="empty"><td colspan="7">No open orders</td></tr></tbody></table>
    </div>
    <div class="panel">
      <div class="panel-head"><h2>Recent errors</h2><span id="errors-count" class="muted"></span></div>
      <ul id="errors-list" class="errors"><li class="empty">No errors</li></ul>
    </div>
  </section>
  <section class="panel">
    <div class="panel-head"><h2>Closed trades</h2><span id="trades-count" class="muted"></span></div>
    <table class="table"><thead><tr><th>Symbol</th><th>Side</th><th>Entry time</th><th class="num">Entry</th><th>Exit time</th><th class="num">Exit</th><th class="num">Qty</th><th class="num">PnL</th><th>Exit reason</th></tr></thead>
    <tbody id="trades-body"><tr class="empty"><td colspan="9">No closed trades</td></tr></tbody></table>
  </section>
  <footer class="muted">Updated <span id="updated">never</span> · polling every <span id="poll-s">5</span> s · API schema at <code>/api/openapi.json</code></footer>
</main>
</body>
</html>
`;
