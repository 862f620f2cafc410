// Grammar-based generator of JSONata expressions, evaluated with jsonata-js (the reference).
// Writes one JSON object per line: {"id", "doc", "expr", "result"} or {..., "error": code}
// (and "undefined": true for an undefined result). tests/differential.rs replays the file
// through this crate and compares.
//   node generate.js COUNT SEED > cases.jsonl
const jsonata = require('jsonata');

const COUNT = parseInt(process.argv[2] || '1000', 10);
let seed = parseInt(process.argv[3] || '1', 10) >>> 0;
function rnd() { // xorshift32: deterministic across runs
  seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0;
  return seed / 4294967296;
}
const pick = (a) => a[Math.floor(rnd() * a.length)];
const chance = (p) => rnd() < p;

const DOCS = [
  { a: 1, b: 'two', c: [1, 2, 3], d: { e: 5, f: [{ g: 'x', h: 1 }, { g: 'y', h: 2 }, { g: 'x', h: 3 }] }, n: null, t: true, s: 'Hello World', z: 0, neg: -2.5 },
  [{ a: 1, b: 'p' }, { a: 2, b: 'q', c: [4, 5] }, { a: 3 }],
  { items: [{ name: 'A', price: 10, qty: 2, tags: ['x'] }, { name: 'B', price: 2.5, qty: 4, tags: [] }, { name: 'C', price: 7, qty: 1, tags: ['x', 'y'] }], owner: { name: 'Zed', age: 40 } },
  'just a string',
  42,
];
const FIELDS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'n', 't', 's', 'z', 'neg', 'items', 'name', 'price', 'qty', 'tags', 'owner', 'age', 'missing'];
const VARS = ['$x', '$y', '$f'];

function num() {
  return pick(['0', '1', '2', '3', '-1', '10', '2.5', '0.1', '100', '1e3', '7', '-3.75']);
}
function str() {
  return pick(["'abc'", "'Hello'", "''", "'a,b,c'", "'x'", "' spaced  out '", "'123'", "'2.5'", "'ÄÖü'"]);
}
function lit() {
  switch (Math.floor(rnd() * 5)) {
    case 0: case 1: return num();
    case 2: return str();
    case 3: return pick(['true', 'false']);
    default: return 'null';
  }
}
function path(d) {
  let p = pick(FIELDS);
  if (chance(0.1)) p = pick(['$', '$$', '*', '**']);
  const steps = Math.floor(rnd() * 3);
  for (let i = 0; i < steps; i++) {
    p += '.' + (chance(0.85) ? pick(FIELDS) : pick(['*', '$string()', '$uppercase($)']));
  }
  if (chance(0.25)) p += '[' + (chance(0.5) ? pick(['0', '1', '-1', '5']) : expr(d + 1)) + ']';
  if (chance(0.05)) p += '[]';
  if (chance(0.08)) p += '^(' + pick(['$', '>$', 'a', '>h', 'price']) + ')';
  return p;
}
const FUNCS1 = ['$sum', '$count', '$max', '$min', '$average', '$string', '$length', '$uppercase', '$lowercase', '$trim', '$number', '$abs', '$floor', '$ceil', '$round', '$sqrt', '$boolean', '$not', '$exists', '$keys', '$reverse', '$sort', '$distinct', '$type', '$spread', '$merge', '$join', '$base64encode', '$encodeUrlComponent', '$formatBase', '$append', '$lookup', '$each', '$split'];
const FUNCS2 = ['$substring', '$substringBefore', '$substringAfter', '$pad', '$join', '$split', '$contains', '$power', '$round', '$append', '$lookup', '$zip', '$formatBase', '$string', '$match', '$replace'];
function call(d) {
  if (chance(0.2)) {
    const hof = pick(['$map', '$filter', '$reduce', '$single', '$sort']);
    const params = hof === '$reduce' || hof === '$sort' ? '$acc, $v' : pick(['$v', '$v, $i', '$v, $i, $a']);
    const body = hof === '$reduce' ? pick(['$acc + $v', '$acc & $v', '$append($acc, $v)']) :
      hof === '$sort' ? pick(['$acc > $v', '$acc.h < $v.h']) : expr(d + 1).replace(/\$\$/g, '$v');
    return `${hof}(${pick(['c', 'd.f', '[1,2,3]', 'items', '$', "['b','a','c']", 'd.f.h'])}, function(${params}){ ${body} })`;
  }
  if (chance(0.5)) return `${pick(FUNCS1)}(${expr(d + 1)})`;
  const f = pick(FUNCS2);
  let args = [expr(d + 1), expr(d + 1)];
  if (f === '$match' || f === '$replace' || f === '$split' || f === '$contains') args[1] = pick(['/[a-z]+/', '/l+/i', '/\\d/', "'o'", '/(\\w)(\\w)/']);
  if (f === '$replace') args.push(pick(["'-'", "'$1'", "'[$0]'", 'function($m){ $uppercase($m.match) }']));
  if (chance(0.2)) args.push(num());
  return `${f}(${args.join(', ')})`;
}
function expr(d) {
  d = d || 0;
  if (d > 3) return chance(0.5) ? lit() : path(d);
  const r = rnd();
  if (r < 0.15) return lit();
  if (r < 0.35) return path(d);
  if (r < 0.55) return `${expr(d + 1)} ${pick(['+', '-', '*', '/', '%', '=', '!=', '<', '<=', '>', '>=', '&', 'and', 'or', 'in', '?:', '??'])} ${expr(d + 1)}`;
  if (r < 0.72) return call(d);
  if (r < 0.77) return `${expr(d + 1)} ? ${expr(d + 1)} : ${expr(d + 1)}`;
  if (r < 0.82) return `[${expr(d + 1)}, ${expr(d + 1)}${chance(0.3) ? ', [' + num() + '..' + num() + ']' : ''}]`;
  if (r < 0.86) return `{${pick(["'k'", 'b', "'n' & 1"])}: ${expr(d + 1)}, 'm': ${expr(d + 1)}}`;
  if (r < 0.89) return `(${pick(VARS)} := ${expr(d + 1)}; ${expr(d + 1)})`;
  if (r < 0.91) return `${pick(['d.f', 'items', '$', 'c'])}{${pick(['g', 'name', "'all'", '$string($)'])}: ${pick(['$sum(h)', '$count($)', 'price', '$', 'h'])}}`;
  if (r < 0.93) return `-(${expr(d + 1)})`;
  if (r < 0.95) return `${path(d)}.${pick(['%.a', '%.name', '{"p": %}'])}`;
  if (r < 0.97) return `${pick(['d.f', 'items', 'c'])}#$i[$i ${pick(['<', '>', '='])} 1].${pick(['g', 'name', '$', '$i'])}`;
  return `${expr(d + 1)} ~> ${pick(['$string', '$uppercase', '$count', '$sum', '$type', '$boolean'])}`;
}

(async () => {
  const out = [];
  for (let i = 0; i < COUNT; i++) {
    const docIndex = Math.floor(rnd() * DOCS.length);
    const src = expr(0);
    const rec = { id: i, doc: docIndex, expr: src };
    if (process.env.SHOW_ONLY && i >= +process.env.SHOW_ONLY - 3) { console.log(i, src); continue; }
    if (process.env.SHOW_ONLY) continue;
    if (process.env.FROM && i < +process.env.FROM) continue;
    if (process.env.TRACE) require('fs').writeSync(2, i + '\n');
    try {
      const e = jsonata(src);
      // timebox each case like jsonata-js's own test runner; those cases are not compared
      const deadline = Date.now() + 200;
      let depth = 0;
      e.assign(Symbol.for('jsonata.__evaluate_entry'), () => {
        depth++;
        if (Date.now() > deadline || depth > 300) throw { code: 'SKIP' };
      });
      e.assign(Symbol.for('jsonata.__evaluate_exit'), () => { depth--; });
      const r = await e.evaluate(DOCS[docIndex]);
      if (r === undefined) rec.undefined = true;
      else {
        const s = JSON.stringify(r, (k, v) => (typeof v === 'number' && !isFinite(v) ? { nonFinite: String(v) } : v));
        if (s === undefined) rec.undefined = true;
        else if (s.length > 100000) rec.error = 'SKIP';
        else rec.result = JSON.parse(s);
      }
    } catch (err) {
      rec.error = err.code || ('JS:' + (err.message || String(err)).slice(0, 60));
    }
    require('fs').writeSync(1, JSON.stringify(rec) + '\n');
  }
  if (!process.env.FROM || process.env.LAST) require('fs').writeSync(1, JSON.stringify({ docs: DOCS }) + '\n');
})();
