/** Dashboard styles: a dark trading-terminal look, no web fonts (offline). */
export const DASHBOARD_CSS = `
:root {
  --bg: #0b1020; --panel: #111830; --panel2: #0e1528; --border: #1f2a44; --text: #e5e9f2; --muted: #8a96b2;
  --blue: #3b82f6; --green: #22c55e; --red: #ef4444; --amber: #f59e0b; --violet: #a78bfa;
  font-family: ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 14px; color: var(--text); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); }
[hidden] { display: none !important; }
.muted { color: var(--muted); }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
.topbar { display: flex; align-items: center; gap: 16px; padding: 12px 24px; background: var(--panel2); border-bottom: 1px solid var(--border); position: sticky; top: 0; z-index: 5; }
.brand { font-weight: 700; font-size: 18px; letter-spacing: .5px; display: flex; align-items: center; gap: 8px; }
.brand .logo { color: var(--blue); }
.brand .sub { color: var(--muted); font-weight: 400; font-size: 14px; }
.badges { display: flex; gap: 8px; flex-wrap: wrap; }
.badge { padding: 3px 10px; border-radius: 999px; font-size: 12px; font-weight: 600; background: #1b2440; color: var(--muted); border: 1px solid var(--border); text-transform: uppercase; letter-spacing: .4px; }
.badge.ok { background: rgba(34,197,94,.12); color: var(--green); border-color: rgba(34,197,94,.35); }
.badge.warn { background: rgba(245,158,11,.12); color: var(--amber); border-color: rgba(245,158,11,.35); }
.badge.bad { background: rgba(239,68,68,.14); color: var(--red); border-color: rgba(239,68,68,.4); }
.badge.info { background: rgba(59,130,246,.12); color: var(--blue); border-color: rgba(59,130,246,.35); }
.spacer { flex: 1; }
.controls { display: flex; gap: 8px; }
.btn { background: #1b2440; color: var(--text); border: 1px solid var(--border); border-radius: 6px; padding: 6px 12px; font: inherit; font-size: 13px; cursor: pointer; }
.btn:hover { border-color: var(--blue); }
.btn.primary { background: var(--blue); border-color: var(--blue); color: #fff; width: 100%; padding: 9px; }
.btn.danger { color: var(--red); border-color: rgba(239,68,68,.5); }
.btn.ghost { background: transparent; color: var(--muted); }
.btn.small { padding: 2px 8px; font-size: 12px; }
.banner { margin: 12px 24px 0; padding: 10px 14px; border-radius: 8px; background: rgba(239,68,68,.12); border: 1px solid rgba(239,68,68,.4); color: #fecaca; }
.banner.note { background: rgba(59,130,246,.12); border-color: rgba(59,130,246,.4); color: #bfdbfe; }
main { padding: 16px 24px 24px; display: flex; flex-direction: column; gap: 16px; }
.kpis { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 12px; }
.kpi { background: var(--panel); border: 1px solid var(--border); border-radius: 10px; padding: 12px 14px; }
.kpi .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .5px; }
.kpi .value { font-size: 22px; font-weight: 650; margin-top: 4px; font-variant-numeric: tabular-nums; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.kpi .value.small { font-size: 15px; margin-top: 8px; }
.kpi .sub { color: var(--muted); font-size: 12px; margin-top: 2px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.pos { color: var(--green); } .neg { color: var(--red); }
.grid2 { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 16px; }
.panel { background: var(--panel); border: 1px solid var(--border); border-radius: 10px; padding: 14px 16px; min-width: 0; }
.panel-head { display: flex; align-items: center; justify-content: space-between; gap: 12px; margin-bottom: 10px; }
.panel-head h2 { margin: 0; font-size: 14px; font-weight: 600; letter-spacing: .3px; }
.chart { width: 100%; height: 300px; display: block; }
.tabs { display: flex; gap: 4px; }
.tab { background: transparent; border: 1px solid var(--border); color: var(--muted); border-radius: 6px; padding: 2px 10px; font: inherit; font-size: 12px; cursor: pointer; }
.tab.active { color: var(--text); border-color: var(--blue); background: rgba(59,130,246,.15); }
.table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
.table th { text-align: left; color: var(--muted); font-weight: 500; font-size: 12px; text-transform: uppercase; letter-spacing: .4px; padding: 6px 8px; border-bottom: 1px solid var(--border); }
.table td { padding: 7px 8px; border-bottom: 1px solid rgba(31,42,68,.6); white-space: nowrap; }
.table tr:last-child td { border-bottom: none; }
.table .num { text-align: right; }
.table tr.empty td, .errors li.empty { color: var(--muted); text-align: center; padding: 14px; }
.side { font-weight: 600; font-size: 12px; text-transform: uppercase; }
.side.long, .side.buy { color: var(--green); } .side.short, .side.sell { color: var(--red); }
.errors { list-style: none; margin: 0; padding: 0; max-height: 260px; overflow: auto; }
.errors li { padding: 7px 4px; border-bottom: 1px solid rgba(31,42,68,.6); display: grid; grid-template-columns: 130px 170px 1fr; gap: 8px; font-size: 13px; }
.errors .code { color: var(--amber); font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
footer { font-size: 12px; text-align: right; }
.login { position: fixed; inset: 0; background: rgba(5,8,18,.92); display: flex; align-items: center; justify-content: center; z-index: 20; }
.login-card { background: var(--panel); border: 1px solid var(--border); border-radius: 12px; padding: 28px; width: 360px; display: flex; flex-direction: column; gap: 12px; }
.login-card input { background: var(--bg); border: 1px solid var(--border); color: var(--text); border-radius: 6px; padding: 9px 10px; font: inherit; }
.error { color: var(--red); margin: 0; font-size: 13px; }
@media (max-width: 1100px) { .kpis { grid-template-columns: repeat(3, minmax(0, 1fr)); } .grid2 { grid-template-columns: 1fr; } }
`;
