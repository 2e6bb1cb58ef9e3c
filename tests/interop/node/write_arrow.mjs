// Writes Arrow IPC files with the apache-arrow JS library (uncompressed): a scan-like table of
// 400 assets with dictionary-encoded symbols, in the file and the stream format. Next to each
// file, `<file>.expected.jsonl` holds the rows dolphin must print, computed from the source
// values (not from Arrow). Usage: node write_arrow.mjs OUT_DIR
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  Dictionary, Field, Float64, Int32, Int64, List, Table, TimestampMillisecond, Utf8, Bool,
  tableToIPC, vectorFromArray,
} from 'apache-arrow';

const out = process.argv[2];
mkdirSync(out, { recursive: true });

const n = 400;
const symbols = [];
const prices = [];
const volumes = [];
const histories = [];
const active = [];
for (let i = 0; i < n; i++) {
  symbols.push(i === 0 ? 'BTCUSDT' : i === 1 ? 'ETHUSDT' : `S${String(i).padStart(3, '0')}USDT`);
  prices.push(i % 7 === 3 ? null : 100 + i * 0.125);
  volumes.push(BigInt(i) * 1000003n - 5n);
  histories.push([i * 0.5, -i, 1 / 8]);
  active.push(i % 3 !== 0);
}
const scanMs = 1774434601123;

const table = new Table({
  scan_number: vectorFromArray(Array(n).fill(42n), new Int64()),
  timestamp: vectorFromArray(Array(n).fill(scanMs), new TimestampMillisecond('UTC')),
  symbol: vectorFromArray(symbols, new Dictionary(new Utf8(), new Int32())),
  price: vectorFromArray(prices, new Float64()),
  volume: vectorFromArray(volumes, new Int64()),
  history: vectorFromArray(histories, new List(new Field('item', new Float64(), true))),
  active: vectorFromArray(active, new Bool()),
});

function isoMs(ms) {
  return new Date(ms).toISOString().replace(/Z$/, 'Z');  // YYYY-MM-DDTHH:MM:SS.mmmZ
}
const lines = [];
for (let i = 0; i < n; i++) {
  lines.push(JSON.stringify({
    scan_number: 42,
    timestamp: isoMs(scanMs),
    symbol: symbols[i],
    price: prices[i],
    volume: `__BIGINT__${volumes[i]}`,
    history: histories[i],
    active: active[i],
  }).replace(/"__BIGINT__(-?\d+)"/, '$1'));
}
const expected = lines.join('\n') + '\n';

for (const [name, format] of [['js_file.arrow', 'file'], ['js_stream.arrows', 'stream']]) {
  const path = join(out, name);
  writeFileSync(path, tableToIPC(table, format));
  writeFileSync(path + '.expected.jsonl', expected);
  console.log(path);
}
