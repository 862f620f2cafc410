// Stepline console: a single-page app over the public Step Functions API (POST / with
// X-Amz-Target), plus POST /console/layout for the graph layout computed in Rust.

const $app = document.getElementById('app');
const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];
const ROLE = 'arn:aws:iam::123456789012:role/stepline-console';

// ---------- small helpers ----------
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const h = (html) => { const t = document.createElement('template'); t.innerHTML = html.trim(); return t.content.firstElementChild; };
const enc = encodeURIComponent;
const toMs = (t) => (typeof t === 'number' ? (t > 1e11 ? t : t * 1000) : Date.parse(t));
const fmtTime = (t) => (t == null ? '' : new Date(toMs(t)).toLocaleString());
function fmtDur(ms) {
  if (ms == null || isNaN(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}
function pretty(v) {
  if (v == null) return '';
  if (typeof v === 'string') { try { return JSON.stringify(JSON.parse(v), null, 2); } catch { return v; } }
  return JSON.stringify(v, null, 2);
}
function toast(msg, bad) {
  const t = document.getElementById('toast');
  t.textContent = msg; t.className = 'toast' + (bad ? ' err' : ''); t.hidden = false;
  clearTimeout(toast.t); toast.t = setTimeout(() => { t.hidden = true; }, 4000);
}

export async function api(op, body = {}) {
  const res = await fetch('/', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': 'AWSStepFunctions.' + op },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let data = {};
  try { data = text ? JSON.parse(text) : {}; } catch { data = { message: text }; }
  if (!res.ok) {
    const type = String(data.__type || res.status).split('#').pop();
    const err = new Error(`${type}: ${data.message || data.Message || text}`);
    err.type = type; throw err;
  }
  return data;
}

async function apiAll(op, body, key) {
  const out = []; let nextToken;
  for (let i = 0; i < 1000; i++) {
    const r = await api(op, { ...body, ...(nextToken ? { nextToken } : {}) });
    out.push(...(r[key] || [])); nextToken = r.nextToken; if (!nextToken) break;
  }
  return out;
}

const layoutCache = new Map();
export async function layoutOf(definition) {
  const text = typeof definition === 'string' ? definition : JSON.stringify(definition);
  if (layoutCache.has(text)) return layoutCache.get(text);
  const res = await fetch('/console/layout', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: text });
  const data = await res.json();
  if (!res.ok) throw new Error(data.message || 'layout failed');
  if (layoutCache.size > 50) layoutCache.clear();
  layoutCache.set(text, data);
  return data;
}

// Each page gets a token; timers of a page that is no longer shown stop themselves.
let pageToken = 0;
const alive = (tok) => tok === pageToken;

// ---------- graph ----------
function mountGraph(box, data, { exec = false, onSelect } = {}) {
  box.classList.add('graph'); box.classList.toggle('exec', exec);
  box.innerHTML = data.svg;
  const svg = box.querySelector('svg');
  const byName = new Map();
  svg.querySelectorAll('g.sl-node').forEach((g) => {
    const name = g.getAttribute('data-name');
    if (!byName.has(name)) byName.set(name, []);
    byName.get(name).push(g);
    g.addEventListener('click', (ev) => {
      ev.stopPropagation();
      svg.querySelectorAll('.sel').forEach((x) => x.classList.remove('sel'));
      g.classList.add('sel');
      onSelect && onSelect(name, g);
    });
  });
  return { svg, byName };
}

function colour(graph, states) {
  for (const [name, gs] of graph.byName) {
    const st = states.get(name);
    for (const g of gs) {
      g.classList.remove('st-succeeded', 'st-failed', 'st-caught', 'st-running');
      if (st) g.classList.add('st-' + st.status);
    }
  }
}

const LEGEND = `<div class="legend"><span><i style="background:#dcfce7;border-color:#16a34a"></i>Succeeded</span><span><i style="background:#fee2e2;border-color:#dc2626"></i>Failed</span><span><i style="background:#ffedd5;border-color:#ea580c"></i>Caught error</span><span><i style="background:#dbeafe;border-color:#2563eb"></i>In progress</span><span><i style="background:#f9fafb;border-color:#d1d5db"></i>Not reached</span></div>`;

// ---------- history → per-state view ----------
const detailsOf = (e) => { for (const k in e) if (k.endsWith('EventDetails')) return e[k]; return null; };
const isFailure = (t) => /(Failed|TimedOut|Aborted)$/.test(t) && !/^Execution/.test(t);

export function stateRuns(events, execStatus, compound) {
  // open: records currently entered, innermost last. Parallel/Map stay open while their
  // children run; a failure event belongs to the innermost open state of the right kind.
  const states = new Map(); const open = [];
  const rec = (name) => { if (!states.has(name)) states.set(name, { name, runs: 0, retries: 0, status: 'running' }); return states.get(name); };
  for (const e of events) {
    const t = e.type; const d = detailsOf(e) || {}; const ts = toMs(e.timestamp);
    if (t.endsWith('StateEntered')) {
      // A state that failed and never exited was caught by the state now entered.
      for (let i = open.length - 1; i >= 0; i--) {
        const o = open[i];
        if (o.errorSeen) { o.status = 'caught'; o.end = ts; open.splice(i, 1); }
      }
      const r = rec(d.name); r.runs++; r.status = 'running'; r.start = r.start ?? ts; r.end = undefined;
      r.input = d.input; r.errorSeen = false; r.type = t.replace('StateEntered', '');
      if (t === 'FailStateEntered') { r.status = 'failed'; r.end = ts; } else open.push(r);
    } else if (t.endsWith('StateExited')) {
      const r = rec(d.name); r.end = ts; r.output = d.output;
      r.status = r.errorSeen ? 'caught' : 'succeeded';
      const i = open.lastIndexOf(r); if (i >= 0) open.splice(i, 1);
    } else if (/Scheduled$/.test(t) && open.length) {
      const r = open[open.length - 1]; r.attempts = (r.attempts || 0) + 1;
      if (r.attempts > 1) r.retries++;
      r.errorSeen = false;
    } else if (/^(Parallel|Map)State(Failed|Aborted)$/.test(t) || t === 'MapRunFailed') {
      let i = open.length - 1; while (i >= 0 && !compound.has(open[i].name)) i--;
      if (i >= 0) {
        const r = open[i]; r.errorSeen = true; r.error = d.error; r.cause = d.cause;
        for (const child of open.splice(i + 1)) { child.status = 'failed'; child.end = ts; }
      }
    } else if (isFailure(t) && open.length) {
      let i = open.length - 1; while (i > 0 && compound.has(open[i].name)) i--;
      const r = open[i]; r.errorSeen = true; r.error = d.error; r.cause = d.cause;
    } else if (/^Execution(Failed|TimedOut|Aborted)$/.test(t)) {
      for (const o of open) { o.status = 'failed'; o.end = ts; if (!o.error) { o.error = d.error; o.cause = d.cause; } }
      open.length = 0;
    }
  }
  if (execStatus && execStatus !== 'RUNNING') {
    for (const o of open) o.status = execStatus === 'SUCCEEDED' ? 'succeeded' : 'failed';
  }
  return states;
}

// ---------- router ----------
const routes = [
  [/^#?\/?$/, pageList],
  [/^#\/sm\/(.+)$/, pageMachine],
  [/^#\/exec\/(.+)$/, pageExecution],
  [/^#\/design(?:\/(.+))?$/, pageDesigner],
];
async function route() {
  pageToken++;
  const hash = location.hash || '#/';
  for (const [re, fn] of routes) {
    const m = hash.match(re);
    if (m) {
      const tok = pageToken;
      try { await fn(tok, ...m.slice(1).map((x) => (x == null ? x : decodeURIComponent(x)))); } catch (e) { if (alive(tok)) $app.innerHTML = `<div class="card error">${esc(e.message)}</div>`; }
      return;
    }
  }
  $app.innerHTML = '<div class="card">Not found</div>';
}
window.addEventListener('hashchange', route);

// ---------- state machines list ----------
async function pageList(tok) {
  $app.innerHTML = '<h1>State machines</h1><div class="muted">Loading…</div>';
  const sms = await apiAll('ListStateMachines', { maxResults: 1000 }, 'stateMachines');
  if (!alive(tok)) return;
  $app.innerHTML = `<div class="row"><h1>State machines</h1><span class="muted">${sms.length}</span><span style="flex:1"></span><a class="btn" href="#/design">Create state machine</a></div>
    <table id="sms"><thead><tr><th>Name</th><th>Type</th><th>Created</th><th>Executions</th></tr></thead><tbody>${sms.map((s) => `<tr class="click" data-arn="${esc(s.stateMachineArn)}"><td><a href="#/sm/${enc(s.stateMachineArn)}">${esc(s.name)}</a></td><td>${esc(s.type)}</td><td>${esc(fmtTime(s.creationDate))}</td><td class="counts muted">…</td></tr>`).join('') || '<tr><td colspan="4" class="muted">No state machines yet.</td></tr>'}</tbody></table>`;
  $app.querySelectorAll('#sms tr.click').forEach((tr) => tr.addEventListener('click', () => { location.hash = '#/sm/' + enc(tr.dataset.arn); }));
  for (const s of sms) {
    api('ListExecutions', { stateMachineArn: s.stateMachineArn, maxResults: 1000 }).then((r) => {
      if (!alive(tok)) return;
      const counts = {};
      for (const e of r.executions || []) counts[e.status] = (counts[e.status] || 0) + 1;
      const td = $app.querySelector(`tr[data-arn="${CSS.escape(s.stateMachineArn)}"] .counts`);
      if (td) td.innerHTML = STATUSES.filter((k) => counts[k]).map((k) => `<span class="badge b-${k}">${k.toLowerCase().replace('_', ' ')} ${counts[k]}${r.nextToken ? '+' : ''}</span>`).join('') || '<span class="muted">none</span>';
    }).catch(() => {});
  }
}

// ---------- state machine detail ----------
async function pageMachine(tok, arn) {
  $app.innerHTML = '<div class="muted">Loading…</div>';
  const sm = await api('DescribeStateMachine', { stateMachineArn: arn });
  const baseArn = arn.split(':').length > 7 ? arn.split(':').slice(0, 7).join(':') : arn;
  const [layout, versions, aliases] = await Promise.all([
    layoutOf(sm.definition),
    api('ListStateMachineVersions', { stateMachineArn: baseArn }).then((r) => r.stateMachineVersions || []).catch(() => []),
    api('ListStateMachineAliases', { stateMachineArn: baseArn }).then((r) => r.stateMachineAliases || []).catch(() => []),
  ]);
  if (!alive(tok)) return;
  $app.innerHTML = `<div class="row"><h1>${esc(sm.name)}</h1><span class="badge">${esc(sm.type)}</span>${arn !== baseArn ? `<span class="badge">version/alias</span> <a href="#/sm/${enc(baseArn)}">latest</a>` : ''}<span style="flex:1"></span>
      <button class="primary" id="start">Start execution</button><a class="btn" href="#/design/${enc(arn)}">Edit</a></div>
    <div class="sub">${esc(arn)} · created ${esc(fmtTime(sm.creationDate))}</div>
    <div class="split" style="margin-top:10px"><div id="graph"></div>
      <div><h2>Versions</h2><table><tbody>${versions.map((v) => `<tr><td><a href="#/sm/${enc(v.stateMachineVersionArn)}">${esc(v.stateMachineVersionArn.split(':').pop())}</a></td><td>${esc(fmtTime(v.creationDate))}</td></tr>`).join('') || '<tr><td class="muted">No versions</td></tr>'}</tbody></table>
      <h2>Aliases</h2><table><tbody>${aliases.map((a) => `<tr><td>${esc(a.stateMachineAliasArn.split(':').pop())}</td><td class="alias" data-arn="${esc(a.stateMachineAliasArn)}">…</td></tr>`).join('') || '<tr><td class="muted">No aliases</td></tr>'}</tbody></table>
      <h2>Definition</h2><pre class="json">${esc(pretty(sm.definition))}</pre></div></div>
    <h2>Executions</h2><div class="row"><select id="status"><option value="">All statuses</option>${STATUSES.map((s) => `<option>${s}</option>`).join('')}</select>
      <input id="name" placeholder="Filter by name"><label class="muted">started after <input id="after" type="datetime-local"></label><span style="flex:1"></span><button id="prev" disabled>‹ Prev</button><button id="next" disabled>Next ›</button></div>
    <table id="execs"><thead><tr><th>Name</th><th>Status</th><th>Started</th><th>Stopped</th><th>Duration</th></tr></thead><tbody></tbody></table>`;
  mountGraph($app.querySelector('#graph'), layout);
  for (const td of $app.querySelectorAll('td.alias')) {
    api('DescribeStateMachineAlias', { stateMachineAliasArn: td.dataset.arn }).then((a) => {
      td.innerHTML = (a.routingConfiguration || []).map((r) => `<a href="#/sm/${enc(r.stateMachineVersionArn)}">v${esc(r.stateMachineVersionArn.split(':').pop())}</a> ${r.weight}%`).join(', ');
    }).catch(() => { td.textContent = ''; });
  }
  $app.querySelector('#start').onclick = () => startDialog(arn);
  const tokens = [undefined]; let page = 0;
  const load = async () => {
    const status = $app.querySelector('#status').value;
    const r = await api('ListExecutions', { stateMachineArn: arn, maxResults: 25, ...(status ? { statusFilter: status } : {}), ...(tokens[page] ? { nextToken: tokens[page] } : {}) });
    if (!alive(tok)) return;
    tokens[page + 1] = r.nextToken;
    const name = $app.querySelector('#name').value.trim().toLowerCase();
    const after = $app.querySelector('#after').value ? Date.parse($app.querySelector('#after').value) : null;
    const rows = (r.executions || []).filter((e) => (!name || e.name.toLowerCase().includes(name)) && (!after || toMs(e.startDate) >= after));
    $app.querySelector('#execs tbody').innerHTML = rows.map((e) => `<tr class="click" data-arn="${esc(e.executionArn)}"><td><a href="#/exec/${enc(e.executionArn)}">${esc(e.name)}</a></td><td><span class="badge b-${esc(e.status)}">${esc(e.status)}</span></td><td>${esc(fmtTime(e.startDate))}</td><td>${esc(fmtTime(e.stopDate))}</td><td>${e.stopDate ? fmtDur(toMs(e.stopDate) - toMs(e.startDate)) : ''}</td></tr>`).join('') || '<tr><td colspan="5" class="muted">No executions</td></tr>';
    $app.querySelectorAll('#execs tr.click').forEach((tr) => tr.addEventListener('click', () => { location.hash = '#/exec/' + enc(tr.dataset.arn); }));
    $app.querySelector('#prev').disabled = page === 0;
    $app.querySelector('#next').disabled = !r.nextToken;
  };
  const reset = () => { tokens.length = 1; page = 0; load().catch((e) => toast(e.message, true)); };
  $app.querySelector('#status').onchange = reset;
  $app.querySelector('#name').oninput = reset;
  $app.querySelector('#after').onchange = reset;
  $app.querySelector('#prev').onclick = () => { page--; load(); };
  $app.querySelector('#next').onclick = () => { page++; load(); };
  await load();
}

function startDialog(arn, input = '{\n  \n}') {
  const bg = h(`<div class="modal-bg"><div class="modal"><h2 style="margin-top:0">Start execution</h2>
    <label>Name <input id="ex-name" placeholder="optional" style="width:100%"></label>
    <p class="muted" style="margin:8px 0 4px">Input (JSON)</p><textarea id="ex-input" spellcheck="false"></textarea><div id="ex-err" class="error"></div>
    <div class="row" style="justify-content:flex-end;margin-top:8px"><button id="ex-cancel">Cancel</button><button class="primary" id="ex-go">Start</button></div></div></div>`);
  document.body.appendChild(bg);
  const ta = bg.querySelector('#ex-input'); ta.value = input;
  const check = () => { try { JSON.parse(ta.value); bg.querySelector('#ex-err').textContent = ''; return true; } catch (e) { bg.querySelector('#ex-err').textContent = e.message; return false; } };
  ta.oninput = check;
  bg.querySelector('#ex-cancel').onclick = () => bg.remove();
  bg.querySelector('#ex-go').onclick = async () => {
    if (!check()) return;
    const name = bg.querySelector('#ex-name').value.trim();
    try {
      const r = await api('StartExecution', { stateMachineArn: arn, input: ta.value, ...(name ? { name } : {}) });
      bg.remove(); location.hash = '#/exec/' + enc(r.executionArn);
    } catch (e) { bg.querySelector('#ex-err').textContent = e.message; }
  };
}

// ---------- execution ----------
async function pageExecution(tok, arn) {
  $app.innerHTML = '<div class="muted">Loading…</div>';
  const t0 = performance.now();
  // The layout is fetched while the history pages load (they are sequential: nextToken).
  // History is read after the description: an execution described as closed then has its
  // whole history (the close and its last events are one store write).
  const exAndEvents = api('DescribeExecution', { executionArn: arn }).then(async (d) =>
    [d, await apiAll('GetExecutionHistory', { executionArn: arn, maxResults: 1000 }, 'events')]);
  const [[ex, events], layout] = await Promise.all([
    exAndEvents,
    api('DescribeStateMachineForExecution', { executionArn: arn }).then((smx) => layoutOf(smx.definition)),
  ]);
  const tFetched = performance.now();
  if (!alive(tok)) return;
  const compound = new Set(layout.layout.nodes.filter((n) => n.compound).map((n) => n.name));
  const view = { ex, events, states: stateRuns(events, ex.status, compound), selected: null, tab: 'history', filter: '' };
  $app.innerHTML = `<div class="row"><h1 id="ex-title"></h1><span id="ex-status"></span><span style="flex:1"></span>
      <button id="b-new">New execution</button><button class="danger" id="b-stop">Stop</button><button id="b-redrive">Redrive</button></div>
    <div class="sub" id="ex-sub"></div>
    <div class="split" style="margin-top:10px"><div><div id="graph"></div>${LEGEND}</div><div class="card" id="panel"><span class="muted">Select a state in the graph to see its input, output and timing.</span></div></div>
    <div class="tabs"><button data-tab="history" class="on">History</button><button data-tab="gantt">Timeline</button><button data-tab="io">Execution input &amp; output</button></div>
    <div id="tab"></div>`;
  const graph = mountGraph($app.querySelector('#graph'), layout, { exec: true, onSelect: (name) => { view.selected = name; renderPanel(); } });
  const renderHeader = () => {
    const e = view.ex;
    $app.querySelector('#ex-title').textContent = e.name;
    $app.querySelector('#ex-status').innerHTML = `<span class="badge b-${esc(e.status)}" id="status-badge">${esc(e.status)}</span>`;
    $app.querySelector('#ex-sub').innerHTML = `${esc(e.executionArn)} · state machine <a href="#/sm/${enc(e.stateMachineArn)}">${esc(e.stateMachineArn.split(':').pop())}</a> · started ${esc(fmtTime(e.startDate))}${e.stopDate ? ' · took ' + fmtDur(toMs(e.stopDate) - toMs(e.startDate)) : ''} · ${view.events.length} events`;
    $app.querySelector('#b-stop').disabled = e.status !== 'RUNNING';
    $app.querySelector('#b-redrive').disabled = !['FAILED', 'TIMED_OUT', 'ABORTED'].includes(e.status);
  };
  const renderPanel = () => {
    const p = $app.querySelector('#panel');
    if (!view.selected) return;
    const r = view.states.get(view.selected);
    if (!r) { p.innerHTML = `<h2 style="margin-top:0">${esc(view.selected)}</h2><span class="muted">Not reached.</span>`; return; }
    const dur = r.end != null ? r.end - r.start : Date.now() - r.start;
    p.innerHTML = `<h2 style="margin-top:0">${esc(r.name)}</h2><div class="kv"><b>Status</b><span class="state-status">${esc(r.status)}</span><b>Type</b><span>${esc(r.type)}</span>
      <b>Duration</b><span>${fmtDur(dur)}${r.end == null ? ' (so far)' : ''}</span><b>Runs</b><span>${r.runs}</span><b>Retries</b><span>${r.retries}</span></div>
      ${r.error ? `<h2>Error</h2><pre class="json">${esc(r.error)}${r.cause ? '\n' + esc(pretty(r.cause)) : ''}</pre>` : ''}
      <h2>Input</h2><pre class="json">${esc(pretty(r.input))}</pre><h2>Output</h2><pre class="json">${esc(pretty(r.output))}</pre>`;
  };
  const renderTab = () => {
    $app.querySelectorAll('.tabs button').forEach((b) => b.classList.toggle('on', b.dataset.tab === view.tab));
    const box = $app.querySelector('#tab');
    if (view.tab === 'history') renderHistory(box, view);
    else if (view.tab === 'gantt') renderGantt(box, view);
    else box.innerHTML = `<div class="split"><div><h2>Input</h2><pre class="json">${esc(pretty(view.ex.input))}</pre></div><div><h2>Output</h2><pre class="json">${esc(pretty(view.ex.output ?? view.ex.error ?? ''))}${view.ex.cause ? '\n' + esc(view.ex.cause) : ''}</pre></div></div>`;
  };
  $app.querySelectorAll('.tabs button').forEach((b) => { b.onclick = () => { view.tab = b.dataset.tab; renderTab(); }; });
  $app.querySelector('#b-new').onclick = () => startDialog(view.ex.stateMachineArn, pretty(view.ex.input));
  $app.querySelector('#b-stop').onclick = async () => { try { await api('StopExecution', { executionArn: arn }); toast('Stop requested'); poll(); } catch (e) { toast(e.message, true); } };
  $app.querySelector('#b-redrive').onclick = async () => { try { await api('RedriveExecution', { executionArn: arn }); toast('Redriven'); poll(); } catch (e) { toast(e.message, true); } };
  renderHeader(); colour(graph, view.states); renderTab();
  // Exposed for the browser tests' timing report.
  window.__steplineOpen = { fetchMs: tFetched - t0, renderMs: performance.now() - tFetched, events: events.length };
  // Live updates: poll while the execution runs (the API has no push channel).
  const poll = async () => {
    if (!alive(tok)) return;
    try {
      const ex2 = await api('DescribeExecution', { executionArn: arn });
      const ev2 = await apiAll('GetExecutionHistory', { executionArn: arn, maxResults: 1000 }, 'events');
      if (!alive(tok)) return;
      const changed = ev2.length !== view.events.length || ex2.status !== view.ex.status;
      view.ex = ex2; view.events = ev2; view.states = stateRuns(ev2, ex2.status, compound);
      renderHeader(); colour(graph, view.states);
      if (changed) { renderPanel(); renderTab(); }
    } catch (e) { /* transient: retry on the next tick */ }
    if (alive(tok) && view.ex.status === 'RUNNING') setTimeout(poll, 700);
  };
  if (ex.status === 'RUNNING') setTimeout(poll, 500);
}

function renderHistory(box, view) {
  const start = view.events.length ? toMs(view.events[0].timestamp) : 0;
  box.innerHTML = `<div class="row" style="margin:8px 0"><input id="h-search" placeholder="Search events (type, state, content)" style="width:340px" value="${esc(view.filter)}"><span class="muted" id="h-count"></span></div>
    <div class="hist"><table id="history"><thead><tr><th>ID</th><th>Type</th><th>State</th><th>Elapsed</th><th>Timestamp</th></tr></thead><tbody></tbody></table></div>`;
  const tbody = box.querySelector('tbody');
  const search = box.querySelector('#h-search');
  let gen = 0;
  const draw = () => {
    const q = view.filter.toLowerCase(); const my = ++gen;
    const rows = q ? view.events.filter((e) => (e.type + ' ' + JSON.stringify(detailsOf(e) || {})).toLowerCase().includes(q)) : view.events;
    box.querySelector('#h-count').textContent = `${rows.length} of ${view.events.length} events`;
    tbody.textContent = '';
    // Rows are added in chunks so a 10,000-event history paints at once and fills in after.
    let i = 0;
    const chunk = () => {
      if (my !== gen) return;
      const end = Math.min(rows.length, i + (i === 0 ? 200 : 1500));
      let html = '';
      for (; i < end; i++) {
        const e = rows[i]; const d = detailsOf(e) || {};
        html += `<tr class="click${isFailure(e.type) || /^Execution(Failed|TimedOut|Aborted)$/.test(e.type) ? ' ev-fail' : ''}" data-id="${e.id}"><td>${e.id}</td><td>${esc(e.type)}</td><td>${esc(d.name || '')}</td><td class="t">${fmtDur(toMs(e.timestamp) - start)}</td><td class="t">${esc(fmtTime(e.timestamp))}</td></tr>`;
      }
      tbody.insertAdjacentHTML('beforeend', html);
      if (i < rows.length) requestAnimationFrame(chunk);
    };
    chunk();
  };
  tbody.addEventListener('click', (ev) => {
    const tr = ev.target.closest('tr.click'); if (!tr) return;
    if (tr.nextElementSibling && tr.nextElementSibling.classList.contains('detail')) { tr.nextElementSibling.remove(); return; }
    const e = view.events.find((x) => String(x.id) === tr.dataset.id); if (!e) return;
    const d = detailsOf(e) || {};
    const parts = Object.entries(d).map(([k, v]) => `<div><b>${esc(k)}</b><pre class="json">${esc(pretty(v))}</pre></div>`).join('');
    tr.insertAdjacentElement('afterend', h(`<tr class="detail"><td></td><td colspan="4">${parts || '<span class="muted">No details</span>'}<div class="muted">previous event ${e.previousEventId ?? ''}</div></td></tr>`));
  });
  search.oninput = () => { view.filter = search.value; draw(); };
  draw();
}

function renderGantt(box, view) {
  const t0 = view.events.length ? toMs(view.events[0].timestamp) : 0;
  const now = view.ex.stopDate ? toMs(view.ex.stopDate) : Date.now();
  const span = Math.max(1, now - t0);
  const rows = [...view.states.values()].sort((a, b) => a.start - b.start);
  const shown = rows.slice(0, 500);
  box.innerHTML = `<div class="gantt" id="gantt">${shown.map((r) => {
    const end = r.end ?? now; const left = ((r.start - t0) / span) * 100; const width = Math.max(0.2, ((end - r.start) / span) * 100);
    return `<div class="g-row" data-name="${esc(r.name)}"><div class="g-name" title="${esc(r.name)}">${esc(r.name)}</div><div class="g-track"><div class="g-bar s-${r.status}" style="left:${left}%;width:${width}%" title="${esc(r.status)}"></div></div><div class="g-dur">${fmtDur(end - r.start)}</div></div>`;
  }).join('') || '<span class="muted">No states entered yet.</span>'}${rows.length > shown.length ? `<div class="muted">${rows.length - shown.length} more states not shown</div>` : ''}</div>`;
}

// ---------- designer ----------
const TEMPLATES = {
  Pass: { Type: 'Pass', End: true },
  Task: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'my-function', 'Payload.$': '$' }, End: true },
  Choice: { Type: 'Choice', Choices: [{ Variable: '$.value', NumericGreaterThan: 0, Next: '' }], Default: '' },
  Wait: { Type: 'Wait', Seconds: 1, End: true },
  Parallel: { Type: 'Parallel', Branches: [{ StartAt: 'Branch1Pass', States: { Branch1Pass: { Type: 'Pass', End: true } } }], End: true },
  Map: { Type: 'Map', ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Item', States: { Item: { Type: 'Pass', End: true } } }, End: true },
  Succeed: { Type: 'Succeed' },
  Fail: { Type: 'Fail', Error: 'Failed', Cause: 'Something went wrong' },
};
// JSONata mode: the same states written with Arguments/Output/Condition.
const JSONATA_TEMPLATES = {
  Task: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: { FunctionName: 'my-function', Payload: '{% $states.input %}' }, End: true },
  Choice: { Type: 'Choice', Choices: [{ Condition: '{% $states.input.value > 0 %}', Next: '' }], Default: '' },
  Pass: { Type: 'Pass', Output: '{% $states.input %}', End: true },
};
const SAMPLE = { Comment: 'A new state machine', StartAt: 'Hello', States: { Hello: { Type: 'Pass', Result: { hello: 'world' }, Next: 'Done' }, Done: { Type: 'Succeed' } } };

// Maps each JSON pointer of a document to its [start, end) offsets (the key for members, so a
// diagnostic at /States/A/Next underlines `"Next": ...`). Tolerant: stops at the first error.
export function pointerOffsets(text) {
  const map = new Map(); let i = 0;
  const ws = () => { while (i < text.length && /\s/.test(text[i])) i++; };
  const str = () => { const s = i; i++; while (i < text.length && text[i] !== '"') { if (text[i] === '\\') i++; i++; } i++; return JSON.parse(text.slice(s, i)); };
  const val = (ptr, keyStart, depth, keyEnd) => {
    if (depth > 200) throw new Error('too deep');
    ws(); const s = i;
    if (text[i] === '{') {
      i++; ws();
      if (text[i] === '}') { i++; } else {
        for (;;) {
          ws(); const ks = i; const k = str(); const ke = i; ws(); if (text[i] !== ':') throw new Error(); i++;
          val(ptr + '/' + k.replace(/~/g, '~0').replace(/\//g, '~1'), ks, depth + 1, ke); ws();
          if (text[i] === ',') { i++; continue; } if (text[i] === '}') { i++; break; } throw new Error();
        }
      }
    } else if (text[i] === '[') {
      i++; ws(); let n = 0;
      if (text[i] === ']') { i++; } else {
        for (;;) { val(ptr + '/' + n++, null, depth + 1); ws(); if (text[i] === ',') { i++; continue; } if (text[i] === ']') { i++; break; } throw new Error(); }
      }
    } else if (text[i] === '"') { str(); } else { while (i < text.length && /[^,\]}\s]/.test(text[i])) i++; if (i === s) throw new Error(); }
    // A member holding an object or array is located by its key alone (a diagnostic about a
    // whole state underlines the state's name, not fifty lines of it).
    const compound = text[s] === '{' || text[s] === '[';
    map.set(ptr, [keyStart ?? s, compound && keyStart != null ? keyEnd : i]);
  };
  try { val('', null, 0); } catch { /* partial map is still useful */ }
  return map;
}

function lineOf(text, off) { let l = 1; for (let k = 0; k < off && k < text.length; k++) if (text.charCodeAt(k) === 10) l++; return l; }

async function pageDesigner(tok, arn) {
  let sm = null;
  if (arn) sm = await api('DescribeStateMachine', { stateMachineArn: arn });
  if (!alive(tok)) return;
  $app.innerHTML = `<div class="row"><h1>${sm ? 'Edit ' + esc(sm.name) : 'Design a state machine'}</h1><span style="flex:1"></span>
      ${sm ? '<button class="primary" id="d-version">Save as new version</button>' : ''}
      <input id="d-name" placeholder="name" value="${sm ? esc(sm.name + '-copy') : 'MyStateMachine'}"><select id="d-type"><option>STANDARD</option><option>EXPRESS</option></select><button ${sm ? '' : 'class="primary"'} id="d-create">Save as new state machine</button></div>
    <div class="palette" id="palette"><span class="muted">Add state:</span>${Object.keys(TEMPLATES).map((t) => `<button data-type="${t}">${t}</button>`).join('')}<label class="muted"><input type="checkbox" id="d-jsonata"> JSONata</label><span class="muted">· select a state, then add: the new state follows it · drag from one state onto another to connect them</span></div>
    <div class="designer"><div><div class="editor" id="editor"><div class="gutter" id="gutter"></div><pre id="backdrop"></pre><textarea id="src" spellcheck="false" wrap="off"></textarea></div>
      <ul class="diags" id="diags"></ul></div><div><div id="graph"></div><div id="gerr" class="error"></div></div></div>`;
  const ta = $app.querySelector('#src'); const pre = $app.querySelector('#backdrop'); const gutter = $app.querySelector('#gutter');
  ta.value = sm ? pretty(sm.definition) : JSON.stringify(SAMPLE, null, 2);
  let selected = null; let diags = []; let vgen = 0; let lgen = 0;
  const paintMarks = () => {
    const text = ta.value; const offs = pointerOffsets(text);
    const spans = [];
    for (const d of diags) {
      let r = d.offset != null ? [d.offset, d.offset + 1] : null;
      if (!r && d.location != null) { let p = d.location; while (p && !offs.has(p)) p = p.slice(0, p.lastIndexOf('/')); r = offs.get(p) || offs.get(''); }
      if (r) { spans.push({ s: r[0], e: Math.max(r[1], r[0] + 1), cls: d.severity === 'WARNING' ? 'warn' : '' }); d.line = lineOf(text, r[0]); d.span = r; }
    }
    spans.sort((a, b) => a.s - b.s);
    let html = ''; let at = 0;
    for (const sp of spans) { if (sp.s < at) continue; html += esc(text.slice(at, sp.s)) + `<mark class="${sp.cls}">` + esc(text.slice(sp.s, sp.e)) + '</mark>'; at = sp.e; }
    pre.innerHTML = html + esc(text.slice(at)) + '\n';
    const lines = text.split('\n').length; const bad = new Map();
    for (const d of diags) if (d.line) bad.set(d.line, d.severity === 'WARNING' && bad.get(d.line) !== 'bad' ? 'warn' : 'bad');
    let g = ''; for (let l = 1; l <= lines; l++) g += `<div class="${bad.get(l) || ''}">${l}</div>`;
    gutter.innerHTML = g; gutter.scrollTop = ta.scrollTop;
    $app.querySelector('#diags').innerHTML = diags.map((d, k) => `<li class="${esc(d.severity)}" data-k="${k}"><b>${esc(d.code)}</b> ${d.line ? 'line ' + d.line + ': ' : ''}${esc(d.message)}${d.location ? ` <span class="muted">at ${esc(d.location)}</span>` : ''}</li>`).join('') || '<li style="border-left-color:#16a34a">No problems found</li>';
    $app.querySelectorAll('#diags li[data-k]').forEach((li) => li.onclick = () => { const d = diags[li.dataset.k]; if (d.span) { ta.focus(); ta.setSelectionRange(d.span[0], d.span[1]); ta.scrollTop = Math.max(0, (d.line - 6) * 18); } });
  };
  ta.addEventListener('scroll', () => { pre.scrollTop = ta.scrollTop; pre.scrollLeft = ta.scrollLeft; gutter.scrollTop = ta.scrollTop; });
  const validate = async () => {
    if (!alive(tok)) return; // a debounced call may fire after the page was left
    const my = ++vgen; const text = ta.value;
    try { JSON.parse(text); } catch (e) {
      const m = String(e.message).match(/position (\d+)/); const lc = String(e.message).match(/line (\d+) column (\d+)/);
      let off = m ? +m[1] : null;
      if (off == null && lc) { const ls = text.split('\n'); off = ls.slice(0, +lc[1] - 1).reduce((a, l) => a + l.length + 1, 0) + (+lc[2] - 1); }
      diags = [{ severity: 'ERROR', code: 'INVALID_JSON_DESCRIPTION', message: e.message, offset: off }];
      paintMarks(); return;
    }
    try {
      const r = await api('ValidateStateMachineDefinition', { definition: text, type: $app.querySelector('#d-type').value });
      if (my !== vgen || !alive(tok)) return;
      diags = r.diagnostics || [];
    } catch (e) {
      if (my !== vgen || !alive(tok)) return;
      diags = [{ severity: 'ERROR', code: 'VALIDATION', message: e.message }];
    }
    paintMarks();
  };
  let graph = null;
  const redraw = async () => {
    if (!alive(tok)) return;
    const my = ++lgen;
    let def; try { def = JSON.parse(ta.value); } catch { return; }
    try {
      const data = await layoutOf(def);
      if (my !== lgen || !alive(tok)) return;
      graph = mountGraph($app.querySelector('#graph'), data, { onSelect: (name) => { selected = name; selectInText(name); } });
      if (selected && graph.byName.has(selected)) graph.byName.get(selected).forEach((g) => g.classList.add('sel'));
      enableDrag(graph);
      $app.querySelector('#gerr').textContent = '';
      window.__steplineDrawn = (window.__steplineDrawn || 0) + 1;
    } catch (e) { if (alive(tok)) $app.querySelector('#gerr').textContent = e.message; }
  };
  const selectInText = (name) => {
    const offs = pointerOffsets(ta.value); const node = graph && [...graph.svg.querySelectorAll('g.sl-node')].find((g) => g.dataset.name === name);
    const r = node && offs.get(node.dataset.path);
    if (r) { ta.focus(); ta.setSelectionRange(r[0], r[0] + name.length + 2); const line = lineOf(ta.value, r[0]); ta.scrollTop = Math.max(0, (line - 5) * 18); }
  };
  // Editing the definition object (palette, drag-connect) rewrites the text: both views stay in sync.
  const edit = (fn) => {
    let def; try { def = JSON.parse(ta.value); } catch { toast('Fix the JSON first', true); return; }
    fn(def); ta.value = JSON.stringify(def, null, 2); changed();
  };
  const findState = (def, name, depth = 0) => {
    if (!def || !def.States || depth > 40) return null;
    if (def.States[name]) return def;
    for (const st of Object.values(def.States)) {
      for (const b of st.Branches || []) { const f = findState(b, name, depth + 1); if (f) return f; }
      const p = st.ItemProcessor || st.Iterator; if (p) { const f = findState(p, name, depth + 1); if (f) return f; }
    }
    return null;
  };
  const connect = (from, to) => edit((def) => {
    const scope = findState(def, from); if (!scope || !scope.States[to]) { toast('States must be in the same scope', true); return; }
    const st = scope.States[from];
    if (st.Type === 'Choice') { if (!st.Default) st.Default = to; else st.Choices = [...(st.Choices || []), { Variable: '$.value', StringEquals: 'x', Next: to }]; } else if (st.Type !== 'Succeed' && st.Type !== 'Fail') { delete st.End; st.Next = to; }
  });
  const enableDrag = (g) => {
    let from = null;
    g.svg.querySelectorAll('g.sl-node').forEach((n) => {
      n.addEventListener('mousedown', (ev) => { from = n.dataset.name; ev.preventDefault(); });
      n.addEventListener('mouseup', () => { if (from && from !== n.dataset.name) connect(from, n.dataset.name); from = null; });
    });
    g.svg.addEventListener('mouseup', () => { from = null; });
  };
  $app.querySelectorAll('#palette button').forEach((b) => b.onclick = () => edit((def) => {
    const type = b.dataset.type; def.States = def.States || {};
    let n = 1; while (findState(def, `${type}${n}`)) n++;
    const name = `${type}${n}`;
    const scope = (selected && findState(def, selected)) || def;
    const jsonata = def.QueryLanguage === 'JSONata';
    const tpl = JSON.parse(JSON.stringify((jsonata && JSONATA_TEMPLATES[type]) || TEMPLATES[type]));
    if (type === 'Choice') { tpl.Choices[0].Next = name; tpl.Default = name; }
    if (tpl.Branches) tpl.Branches[0] = { StartAt: `${name}Pass`, States: { [`${name}Pass`]: { Type: 'Pass', End: true } } };
    if (tpl.ItemProcessor) { tpl.ItemProcessor.StartAt = `${name}Item`; tpl.ItemProcessor.States = { [`${name}Item`]: { Type: 'Pass', End: true } }; }
    const prev = selected && scope.States[selected];
    if (prev && prev.Type !== 'Choice' && prev.Type !== 'Succeed' && prev.Type !== 'Fail') {
      if (prev.Next) tpl.Next = prev.Next, delete tpl.End;
      delete prev.End; prev.Next = name;
      if (tpl.Type === 'Choice') { tpl.Choices[0].Next = tpl.Next || selected; tpl.Default = tpl.Next || selected; delete tpl.Next; }
    }
    if (tpl.Type === 'Choice' && tpl.Default === name) { const other = Object.keys(scope.States)[0]; tpl.Choices[0].Next = other; tpl.Default = other; }
    scope.States[name] = tpl; if (!scope.StartAt) scope.StartAt = name;
    selected = name;
  }));
  let vt; let lt;
  const changed = () => { clearTimeout(vt); clearTimeout(lt); paintMarks(); lt = setTimeout(redraw, 120); vt = setTimeout(validate, 250); };
  ta.addEventListener('input', changed);
  $app.querySelector('#d-type').onchange = validate;
  // JSONata mode is the definition's top-level QueryLanguage; the checkbox follows the text.
  const jsonataBox = $app.querySelector('#d-jsonata');
  const syncMode = () => { try { jsonataBox.checked = JSON.parse(ta.value).QueryLanguage === 'JSONata'; } catch { /* keep */ } };
  jsonataBox.onchange = () => edit((def) => {
    const rest = { ...def }; delete rest.QueryLanguage;
    for (const k of Object.keys(def)) delete def[k];
    Object.assign(def, jsonataBox.checked ? { QueryLanguage: 'JSONata', ...rest } : rest);
  });
  ta.addEventListener('input', syncMode); syncMode();
  $app.querySelector('#d-create').onclick = async () => {
    try {
      const r = await api('CreateStateMachine', { name: $app.querySelector('#d-name').value.trim(), definition: ta.value, roleArn: ROLE, type: $app.querySelector('#d-type').value });
      toast('Created'); location.hash = '#/sm/' + enc(r.stateMachineArn);
    } catch (e) { toast(e.message, true); }
  };
  if (sm) {
    $app.querySelector('#d-type').value = sm.type;
    $app.querySelector('#d-version').onclick = async () => {
      try {
        const base = arn.split(':').slice(0, 7).join(':');
        const r = await api('UpdateStateMachine', { stateMachineArn: base, definition: ta.value, publish: true });
        toast('Saved version ' + String(r.stateMachineVersionArn || '').split(':').pop()); location.hash = '#/sm/' + enc(base);
      } catch (e) { toast(e.message, true); }
    };
  }
  paintMarks(); await redraw(); validate();
}

route();
