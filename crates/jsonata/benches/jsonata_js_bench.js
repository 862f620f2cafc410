// Runs the same suite cases as benches/eval.rs on jsonata-js (npm jsonata@2) and prints
// compile and evaluate throughput. Usage:
//   npm install jsonata@2 && node crates/jsonata/benches/jsonata_js_bench.js [suite-dir]
const fs = require('fs');
const path = require('path');
const jsonata = require('jsonata');

const root = process.argv[2] || path.join(__dirname, '../../../../shared/corpus/jsonata-suite');
const cases = [];
for (const g of fs.readdirSync(path.join(root, 'groups')).sort()) {
  const gdir = path.join(root, 'groups', g);
  for (const f of fs.readdirSync(gdir).filter((x) => x.endsWith('.json')).sort()) {
    let v = JSON.parse(fs.readFileSync(path.join(gdir, f), 'utf8'));
    for (const c of Array.isArray(v) ? v : [v]) {
      if (!('result' in c || 'undefinedResult' in c) || 'timelimit' in c || 'depth' in c) continue;
      const expr = c.expr !== undefined ? c.expr : fs.readFileSync(path.join(gdir, c['expr-file']), 'utf8');
      let data;
      if ('data' in c) data = c.data;
      else if (c.dataset) data = JSON.parse(fs.readFileSync(path.join(root, 'datasets', c.dataset + '.json'), 'utf8'));
      cases.push({ expr, data, bindings: c.bindings || {} });
    }
  }
}

async function main() {
  const compiled = cases.map((c) => jsonata(c.expr));
  const time = async (label, fn, minMs) => {
    let iters = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < minMs) {
      await fn();
      iters++;
      elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    }
    const perIter = elapsed / iters;
    console.log(`${label}: ${perIter.toFixed(2)} ms per pass over ${cases.length} cases = ${(cases.length / perIter * 1000).toFixed(0)} cases/s`);
  };
  await time('warmup evaluate', async () => { for (let i = 0; i < cases.length; i++) { try { await compiled[i].evaluate(cases[i].data, cases[i].bindings); } catch (e) {} } }, 3000);
  await time('compile', async () => { for (const c of cases) jsonata(c.expr); }, 5000);
  await time('evaluate', async () => { for (let i = 0; i < cases.length; i++) { try { await compiled[i].evaluate(cases[i].data, cases[i].bindings); } catch (e) {} } }, 10000);
}
main();
