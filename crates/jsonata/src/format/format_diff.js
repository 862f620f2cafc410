// Differential tester for crates/jsonata/src/format against jsonata-js (not part of the build).
//
//   mkdir /tmp/jsd && cd /tmp/jsd && npm init -y && npm install jsonata@2 && cp <repo>/crates/jsonata/src/format/format_diff.js .
//   node format_diff.js gen 100000 SEED > cases.jsonl        # mixed cases (also: gen2 = rounding/ISO/full-range
//                                                             # millis, gen3 = ISO 8601 shapes for $toMillis)
//   TZ=UTC node format_diff.js run cases.jsonl js.jsonl      # JSONATA_MODULE=/path/to/jsonata selects another build
//   STEPLINE_FORMAT_DIFF_IN=/tmp/jsd/cases.jsonl STEPLINE_FORMAT_DIFF_OUT=/tmp/jsd/rs.jsonl \
//     cargo test --release -p jsonata --test format differential -- --ignored
//                                                             # STEPLINE_FORMAT_DIFF_DIALECT=2.0.6 for jsonata@2.0.6
//   node format_diff.js cmp cases.jsonl js.jsonl rs.jsonl     # prints disagreements and a summary
//
// "now" is pinned to 1700000000000 on both sides. Cases where jsonata-js itself crashes (TypeError,
// RangeError, stack overflow) must be errors on our side; strings with lone surrogates (which a Rust
// String cannot hold) are counted separately. jsonata 2.0.6 hangs on $formatNumber(<=0, "..e..");
// the runner skips those when JSONATA_SKIP_HANGS=1.
const fs = require('fs');
const FIXED = 1700000000000;
const RealDate = Date;
global.Date = class extends RealDate {
  constructor(...a) { if (a.length === 0) super(FIXED); else super(...a); }
  static now() { return FIXED; }
};
const jsonata = require(process.env.JSONATA_MODULE || 'jsonata');

let seed = 1;
function rnd() { seed |= 0; seed = (seed + 0x6D2B79F5) | 0; let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; }
function pick(a) { return a[Math.floor(rnd() * a.length)]; }
function ri(lo, hi) { return lo + Math.floor(rnd() * (hi - lo + 1)); }

function validNumPicture() {
  let s = rnd() < 0.2 ? pick(['$', 'USD ', '(', 'x']) : '';
  const opt = ri(0, 4), man = ri(rnd() < 0.2 ? 0 : 1, 5), g = pick([0, 0, 2, 3, 3, 4]);
  let ip = '#'.repeat(opt) + '0'.repeat(man);
  if (g && ip.length > g) { let t = ''; for (let i = 0; i < ip.length; i++) { if (i > 0 && (ip.length - i) % g === 0) t += ','; t += ip[i]; } ip = t; }
  if (rnd() < 0.1 && ip.length > 3) ip = ip.slice(0, 1) + ',' + ip.slice(1);
  s += ip;
  if (rnd() < 0.7) { s += '.' + '0'.repeat(ri(0, 4)) + '#'.repeat(ri(0, 4)); }
  if (rnd() < 0.2) s += 'e' + '0'.repeat(ri(1, 3));
  else if (rnd() < 0.15) s += pick(['%', '\u2030']);
  if (rnd() < 0.15) s += pick([' units', ')', 'SUF']);
  return s;
}
function numPicture() {
  if (rnd() < 0.75) { let s = validNumPicture(); if (rnd() < 0.1) s += ';' + validNumPicture(); return s; }
  let s = '';
  if (rnd() < 0.15) s += pick(['$', 'PRE', 'x ', '(', '\u20ac']);
  const intLen = ri(0, 7);
  for (let i = 0; i < intLen; i++) s += pick(['#', '#', '0', '0', '9', ',']);
  if (rnd() < 0.6) {
    s += '.';
    const fl = ri(0, 6);
    for (let i = 0; i < fl; i++) s += pick(['0', '0', '#', '#', ',', '5']);
  }
  if (rnd() < 0.2) { s += 'e'; const el = ri(0, 3); for (let i = 0; i < el; i++) s += pick(['0', '0', '9', '#']); }
  if (rnd() < 0.15) s += pick(['%', '\u2030', '%%']);
  if (rnd() < 0.15) s += pick([' units', ')', 'pm', 'SUF']);
  if (rnd() < 0.05) s = s.split('').reverse().join('');
  if (rnd() < 0.1) s += ';' + numPictureSimple();
  if (rnd() < 0.03) s = pick(['', ';', '#;#;#', '---', 'k', 'e', '..', '0.a', '#.', '0.']);
  if (rnd() < 0.1) { const a = s.split(''); const i = ri(0, a.length); a.splice(i, 0, pick(['e', '.', ',', '#', '0', 'x', ';', '%', 'pc', 'dot', ' ', ':', '\ud835\udfcf'])); s = a.join(''); }
  return s;
}
function numPictureSimple() { return pick(['(#)', '-#,##0.00', '#0.0#', '[0]', '#', '0.0e0']); }
function numValue() {
  return pick([0, 1, -1, 0.5, 1.5, 2.5, -2.5, 0.125, 0.135, 12345.678, -98765.4321, 1e-7, 123456789012,
    1e20, 1e21, 3.14159, 0.001, 0.995, 9.995, 99.95, 1234.5, -0.004, 5e-324, 1.7976931348623157e308,
    rnd() * 1000, (rnd() - 0.5) * 1e6, Math.floor(rnd() * 1e9), rnd() * 1e-3, -rnd(), 0.05, 0.15, 0.25, 0.35, 1.005, 2.675,
    1e15 + 0.3, 123456789.123456789, -1e-10, 4.35, 0.045, Math.round(rnd() * 1e4) / 1e3, Math.round(rnd() * 1e6) / 8]);
}
const decOptions = [undefined, undefined, undefined, { 'zero-digit': 'A' }, { 'decimal-separator': ',', 'grouping-separator': '.' },
  { 'per-mille': 'pm' }, { 'minus-sign': '~' }, { 'exponent-separator': 'E' }, { 'digit': 'x' }, { 'zero-digit': '\u0660' },
  { 'pattern-separator': '|' }, { 'percent': 'pc' }, { 'grouping-separator': '' }, { 'decimal-separator': '' },
  { 'zero-digit': '' }, { 'digit': '' }, { 'exponent-separator': '' }, { 'grouping-separator': '::' }, { 'decimal-separator': 'dot' },
  { 'zero-digit': '\uff10', 'grouping-separator': ' ' }, { 'zero-digit': '\ud835\udfce' }, { 'exponent-separator': 'x10^' },
  { 'pattern-separator': '' }, { 'minus-sign': '' }, { 'percent': '#' }, { 'decimal-separator': '#' }, { 'grouping-separator': '0' },
  { 'zero-digit': '1' }, { 'per-mille': '%' }, { 'digit': '0' }];

function intPicture() {
  return pick(['0', '00', '000', '#0', '#,##0', '#,###,##0', '##,##,##0', '#:###,##0', '0;o', '#0;o', '000;o', 'w', 'W', 'Ww',
    'w;o', 'W;o', 'Ww;o', 'i', 'I', 'a', 'A', '###\u0661', '\u0660\u0660', '#', 'α', '0,', ',0', '0 0', '#.##0', '00;c', '0;ordinal',
    '##0\uff10', '9', '9,999', '0' + pick(['', '0', '00']) + ';o']);
}
function intValue() {
  return pick([0, 1, 2, 3, 4, 9, 10, 11, 12, 13, 19, 20, 21, 22, 23, 99, 100, 101, 111, 112, 1000, 1001, 1984, 3999, 4000, 12345,
    -1, -12, -3.5, 12.6, 1e6, 1e9 + 7, 1234567890123, 1e15, 1e21, ri(0, 100000), -ri(0, 5000)]);
}

const markers = ['M,1-3', 'D,1-4', 'Y,1-3', 'M01,1-1', 'D#1,2-3', 'Y0001,2-3', 'D,*-2', 'M,2', 'D01,3-3', 'M#1,1-2', 'd,2-3', 'H,1-2', 'Y,*-3', 'Y,2-*', 'Y,3', 'Y,4-4', 'Y,1-1', 'Y#,2', 'M,2-2', 'D,3', 'MNn,1-1', 'FNn,2-5', 'H,2', 'm,1-1', 's,3', 'f,4', 'f0001', 'd,2', 'Yo', 'Mo', 'Do', 'D01o', 'W,2', 'w,2', 'h,2', 'MNn,10', 'Z00', 'Z000', 'Z00:00', 'Z0:00', 'z0', 'Z01:01a', 'X,2-2', 'F,2', 'Da,2', 'DW', 'Dwo,*-3', 'YA', 'Y١', 'Y0,0', 'Y,0', 'Y,*', 'Y,*-*', 'Y#', 'YNn', 'MI', 'Mw', 'Hwo', 'P,1-1', 'Pn,2',
  'Y', 'Y0001', 'Y01', 'Y,2', 'Y,2-2', 'Y##01,2-2', 'Y9,999,*', 'YI', 'Yi', 'Yw', 'M', 'M01', 'M#1', 'MNn', 'MN', 'Mn',
  'MNn,3-3', 'MNn,*-3', 'MA', 'Mi', 'D', 'D01', 'D1o', 'Dwo', 'DWwo', 'Da', 'd', 'd001', 'dwo', 'F', 'F1', 'FNn', 'FN,3-3', 'F0',
  'W', 'W01', 'w', 'X', 'X0001', 'x', 'xNn', 'H', 'H01', 'h', 'h01', 'P', 'PN', 'Pn', 'm', 'm01', 's', 's01', 'f', 'f001', 'f01',
  'f1', 'Z', 'Z01:01', 'Z01:01t', 'Z0', 'Z0101t', 'Z0001', 'z', 'z01', 'E', 'C', 'Hw', 'mI', 'sa'];
function dtPicture() {
  const n = ri(1, 6);
  let s = '';
  for (let i = 0; i < n; i++) {
    s += '[' + pick(markers) + ']';
    if (rnd() < 0.8) s += pick(['-', ':', ' ', '/', 'T', ', ', '.', ' of ', '']);
  }
  if (rnd() < 0.03) s = pick(['[Y', '[]', '[q]', '[YN]', '[[Y]]', 'Hello', '[Z010101]', '[Y,x-y]', '[Y#]']);
  return s;
}
function msValue() {
  return pick([0, 1, -1, 1521801216617, 1104537600000, 1199059200000, 951782400000, -2777932800000, 253402300800000,
    -62198755200000, -62135596800000, -61000000000000, -59000000000000, 4102444799999, 8.64e15, -8.64e15,
    Math.floor((rnd() - 0.3) * 4e12), Math.floor(rnd() * 2e12), Math.floor((rnd() - 0.5) * 1.6e14)]);
}
const tzs = [undefined, undefined, '+0000', '0000', '-0500', '+0530', '-0530', '+1000', '-0030', '+1245', '-1100', 'garbage', '+5'];

const isoTexts = ['2018', '2018-02', '2018-02-03', '2018-02-03T04:05:06Z', '2018-02-03T04:05:06.7Z', '2018-02-03T04:05:06.789123+01:00',
  '2018-02-03T04:05:06-0130', '2018-02-30', '2018-13-01', '2018-02-03T24:00:00Z', '2018-02-03T24:00:01Z', '0050-01-01', '2018-02-03T04:05:06',
  '2018T10:00:00Z', '2018-1', 'foo', '20180203', '2018-02-03T04:05Z', '2018-02-03 04:05:06', '-2018', '2018-02-03T04:05:06.Z'];

function gen2(N) {
  const out = [];
  for (let i = 0; i < N; i++) {
    const k = rnd();
    if (k < 0.45) {
      const mag = Math.pow(10, ri(-12, 22));
      let v = (rnd() - 0.4) * mag;
      if (rnd() < 0.3) v = Math.round(v * 1000) / 1000 + pick([0.5, 0.05, 0.005, 0.0005, 0.25, 0.125]);
      const pic = '#'.repeat(ri(0, 3)) + '0'.repeat(ri(1, 4)) + (rnd() < 0.9 ? '.' + '0'.repeat(ri(0, 6)) + '#'.repeat(ri(0, 5)) : '') + (rnd() < 0.2 ? 'e' + '0'.repeat(ri(1, 3)) : '');
      out.push({ f: 'formatNumber', a: [v, rnd() < 0.3 ? pic.replace(/^#*0/, (m) => m.length > 2 ? m.slice(0, 1) + ',' + m.slice(1) : m) : pic] });
    } else if (k < 0.6) {
      const y = String(ri(0, 9999)).padStart(4, '0');
      let t = y;
      if (rnd() < 0.9) t += '-' + String(ri(0, 13)).padStart(2, '0');
      if (rnd() < 0.8) t += '-' + String(ri(0, 32)).padStart(2, '0');
      if (rnd() < 0.7) t += 'T' + String(ri(0, 25)).padStart(2, '0') + ':' + String(ri(0, 59)).padStart(2, '0') + ':' + String(ri(0, 59)).padStart(2, '0');
      if (rnd() < 0.4) t += '.' + String(ri(0, 999999)).slice(0, ri(1, 6));
      if (rnd() < 0.6) t += pick(['Z', '+00:00', '-05:00', '+0530', '+23:59', '-12:00', '+24:00', '+05:60']);
      out.push({ f: 'toMillis', a: [t] });
    } else if (k < 0.85) {
      const ms = Math.floor((rnd() * 2 - 1) * 8.64e15 * pick([1, 0.01, 0.001, 0.0001]));
      const tz = pick([undefined, '+0000', '-0500', '+1400', '-1200', '+0030', '-0045', '+0930']);
      const pic = pick([null, '[Y0001]-[M01]-[D01] [H01]:[m01]:[s01].[f001] [Z]', '[X0001]-W[W01]-[F1] [d] [w] [xNn]', '[FNn] [D1o] [MNn] [Y] [h]:[m01][P]', '[Y,2]/[Yw]/[YI]', '[z] [Z0] [Z0001] [Z01:01t]']);
      const a = [ms, pic];
      if (tz !== undefined) a.push(tz); else if (pic === null) a.pop();
      out.push({ f: 'fromMillis', a });
    } else {
      const v = ri(-100000, 3000000);
      out.push({ f: 'formatInteger', a: [v, pick(['w', 'W;o', 'Ww', 'I', 'a', '#,##0;o', '0000'])] });
    }
  }
  return out;
}

async function gen(N) {
  const out = [];
  for (let i = 0; i < N; i++) {
    const k = rnd();
    if (k < 0.3) {
      const o = pick(decOptions);
      out.push({ f: 'formatNumber', a: o ? [numValue(), numPicture(), o] : [numValue(), numPicture()] });
    } else if (k < 0.45) {
      out.push({ f: 'formatInteger', a: [intValue(), intPicture()] });
    } else if (k < 0.55) {
      const pic = intPicture();
      let text;
      try { text = await jsonata('$formatInteger($v, $p)').evaluate({}, { v: intValue(), p: pic }); } catch (e) { text = 'x'; }
      if (text === undefined || rnd() < 0.2) text = pick(['abc', '', '12', 'twelve apples', 'MCMz', '0x1A', ' 42', '1,2,3']);
      out.push({ f: 'parseInteger', a: [text, pic] });
    } else if (k < 0.8) {
      const tz = pick(tzs);
      const pic = rnd() < 0.1 ? undefined : dtPicture();
      const a = [msValue(), pic === undefined ? null : pic];
      if (tz !== undefined) a.push(tz);
      if (pic === undefined && tz === undefined) a.pop();
      out.push({ f: 'fromMillis', a });
    } else {
      if (rnd() < 0.3) { out.push({ f: 'toMillis', a: [pick(isoTexts)] }); continue; }
      const pic = dtPicture();
      let text;
      try { text = await jsonata('$fromMillis($m, $p)').evaluate({}, { m: msValue(), p: pic }); } catch (e) { text = undefined; }
      if (text === undefined || rnd() < 0.1) text = pick(['2018-01-01', 'hello', '', '12:00', 'March 2018']);
      out.push({ f: 'toMillis', a: [text, pic] });
    }
  }
  return out;
}

async function runCase(c) {
  if (process.env.JSONATA_SKIP_HANGS === '1' && c.f === 'formatNumber') {
    const sep = (c.a[2] && c.a[2]['exponent-separator'] !== undefined) ? c.a[2]['exponent-separator'] : 'e';
    if (!(c.a[0] > 0) && (sep === '' || String(c.a[1]).includes(sep))) return { hang: true };
  }
  const names = ['a0', 'a1', 'a2'];
  const args = c.a.map((v, i) => (v === null ? '()' : '$' + names[i]));
  const bindings = {};
  c.a.forEach((v, i) => { if (v !== null) bindings[names[i]] = v; });
  const expr = `$${c.f}(${args.join(', ')})`;
  try {
    let r = jsonata(expr).evaluate({}, bindings);
    if (r && typeof r.then === 'function') r = await r;
    if (r === undefined) return { undef: true };
    if (typeof r === 'number' && isNaN(r)) return { undef: true, nan: true };
    return { ok: r };
  } catch (e) {
    if (e.code) return { err: e.code };
    return { jserr: String(e.message || e) };
  }
}

(async () => {
  const [cmd, a1, a2, a3] = process.argv.slice(2);
  if (cmd === 'gen3') {
    seed = Number(a2 || 1);
    const d2 = (lo, hi) => String(ri(lo, hi)).padStart(2, '0');
    for (let i = 0; i < Number(a1); i++) {
      let t = rnd() < 0.3 ? String(ri(0, 120)).padStart(4, '0') : String(ri(0, 9999)).padStart(4, '0');
      if (rnd() < 0.6) t += '-' + d2(0, 19);
      if (rnd() < 0.5 && t.length > 4) t += '-' + d2(0, 39);
      if (rnd() < 0.4) t += 'T' + d2(0, 29) + ':' + d2(0, 59) + ':' + d2(0, 59);
      if (rnd() < 0.4) t += '.' + String(ri(0, 99999)).slice(0, ri(1, 5));
      const z = rnd();
      if (z < 0.2) t += 'Z'; else if (z < 0.5) t += pick(['+', '-']) + d2(0, 29) + (rnd() < 0.5 ? ':' : '') + d2(0, 59);
      console.log(JSON.stringify({ f: 'toMillis', a: [t] }));
    }
  } else if (cmd === 'gen2') {
    seed = Number(a2 || 1);
    for (const c of gen2(Number(a1))) console.log(JSON.stringify(c));
  } else if (cmd === 'gen') {
    seed = Number(a2 || 1);
    for (const c of await gen(Number(a1))) console.log(JSON.stringify(c));
  } else if (cmd === 'run') {
    const lines = fs.readFileSync(a1, 'utf8').split('\n').filter(Boolean);
    const out = [];
    for (const l of lines) out.push(JSON.stringify(await runCase(JSON.parse(l))));
    fs.writeFileSync(a2, out.join('\n') + '\n');
  } else if (cmd === 'cmp') {
    const cases = fs.readFileSync(a1, 'utf8').split('\n').filter(Boolean);
    const js = fs.readFileSync(a2, 'utf8').split('\n').filter(Boolean);
    const rs = fs.readFileSync(a3, 'utf8').split('\n').filter(Boolean);
    let same = 0, diff = 0, jserr = 0;
    const byF = {};
    for (let i = 0; i < cases.length; i++) {
      const c = JSON.parse(cases[i]), j = JSON.parse(js[i]), r = JSON.parse(rs[i]);
      byF[c.f] = byF[c.f] || { same: 0, diff: 0, jserr: 0 };
      if (j.jserr !== undefined) { jserr++; byF[c.f].jserr++; if (!r.err) { diff++; byF[c.f].diff++; if (diff <= 40) console.log('JSCRASH-BUT-RUST-OK', JSON.stringify(c), JSON.stringify(j), JSON.stringify(r)); } continue; }
      if (j.ok !== undefined && typeof j.ok === 'string' && /[\ud800-\udbff](?![\udc00-\udfff])|(?:[^\ud800-\udbff]|^)[\udc00-\udfff]/.test(j.ok)) { byF[c.f].loneSurrogate = (byF[c.f].loneSurrogate || 0) + 1; continue; }
      const eq = (j.undef && r.undef) || (j.err !== undefined && j.err === r.err) || (j.ok !== undefined && JSON.stringify(j.ok) === JSON.stringify(r.ok));
      if (eq) { same++; byF[c.f].same++; } else {
        diff++; byF[c.f].diff++;
        if (diff <= Number(process.env.SHOW || 40)) console.log('DIFF', JSON.stringify(c), 'js=', JSON.stringify(j), 'rust=', JSON.stringify(r));
      }
    }
    console.log('same', same, 'diff', diff, 'js-internal-errors(skipped)', jserr, JSON.stringify(byF));
  }
})();
