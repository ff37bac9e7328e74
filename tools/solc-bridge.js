#!/usr/bin/env node
// solc-bridge: presents solc-js (the official compiler, WebAssembly build, from npm) as a native `solc`
// for the two calls py-solc-x / ape-solidity and forge make:
//   solc --version                              -> "solc, the solidity compiler commandline interface\nVersion: <version>"
//   solc --standard-json [--base-path P] [--include-path P]... [--allow-paths ...]  (JSON on stdin, JSON on stdout)
// Imports are resolved under --base-path and each --include-path (as native solc does); --allow-paths is accepted
// and ignored. Nothing but the compiler's JSON is written to stdout. No network is ever touched.
'use strict';
const fs = require('fs');
const path = require('path');

// The compiler package is resolved from this file's project (node_modules next to tools/), or from
// SOLC_BRIDGE_SOLC (a module path, e.g. "solc-0.8.24") for a second pinned version.
const solcModule = process.env.SOLC_BRIDGE_SOLC || 'solc';
let solc;
try {
  solc = require(require.resolve(solcModule, { paths: [path.join(__dirname, '..'), process.cwd()] }));
} catch (err) {
  process.stderr.write(`solc-bridge: cannot load the npm package '${solcModule}': ${err.message}\n` +
    'Run the set-up (npm ci) first.\n');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { version: false, standardJson: false, basePath: null, includePaths: [], rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const takeValue = () => {
      if (a.includes('=')) return a.slice(a.indexOf('=') + 1);
      i += 1;
      return argv[i];
    };
    if (a === '--version' || a === '-v') opts.version = true;
    else if (a === '--standard-json') opts.standardJson = true;
    else if (a.startsWith('--base-path')) opts.basePath = takeValue();
    else if (a.startsWith('--include-path')) opts.includePaths.push(takeValue());
    else if (a.startsWith('--allow-paths')) takeValue();
    else opts.rest.push(a);
  }
  return opts;
}

function readStdin() {
  const chunks = [];
  const buf = Buffer.alloc(1 << 16);
  for (;;) {
    let n;
    try {
      n = fs.readSync(0, buf, 0, buf.length, null);
    } catch (err) {
      if (err.code === 'EAGAIN') continue;
      if (err.code === 'EOF') break;
      throw err;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function makeImportResolver(roots) {
  return function findImports(importPath) {
    const candidates = [];
    if (path.isAbsolute(importPath)) candidates.push(importPath);
    for (const root of roots) candidates.push(path.resolve(root, importPath));
    for (const candidate of candidates) {
      try {
        if (fs.statSync(candidate).isFile()) return { contents: fs.readFileSync(candidate, 'utf8') };
      } catch (_) { /* try the next root */ }
    }
    return { error: `File not found: '${importPath}' (searched: ${roots.join(', ') || 'no base path given'})` };
  };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.version) {
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
    return 0;
  }
  if (!opts.standardJson) {
    process.stderr.write('solc-bridge: only --version and --standard-json are supported ' +
      `(got: ${process.argv.slice(2).join(' ') || 'no arguments'})\n`);
    return 2;
  }
  const input = readStdin();
  try {
    JSON.parse(input);
  } catch (err) {
    process.stdout.write(JSON.stringify({ errors: [{ component: 'general', formattedMessage: `Invalid JSON input: ${err.message}`, message: `Invalid JSON input: ${err.message}`, severity: 'error', type: 'JSONError' }] }));
    return 0;
  }
  const roots = [];
  if (opts.basePath) roots.push(path.resolve(opts.basePath));
  for (const p of opts.includePaths) roots.push(path.resolve(opts.basePath || '.', p));
  if (roots.length === 0) roots.push(process.cwd());
  const output = solc.compile(input, { import: makeImportResolver(roots) });
  process.stdout.write(output);
  return 0;
}

process.exitCode = main();
