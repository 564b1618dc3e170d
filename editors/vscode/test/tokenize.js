#!/usr/bin/env node
// Tokenize Lawful files with the extension's TextMate grammar, in the engine VS
// Code itself runs (vscode-textmate on the Oniguruma WebAssembly build), and print
// one JSON object a line:
//
//   {"file": F, "line": L, "start": S, "end": E, "text": T, "scopes": [...]}   a token
//   {"file": F, "line": L, "error": MESSAGE}                                    a line that failed
//   {"file": F, "lines": N}                                                     after each file
//
// `line` counts from 1; `start` and `end` are code-point offsets in the line
// (end excluded), as Python indexes the line. Lines are the file's text split on
// "\n". Exit status 1 if any line failed, 2 on bad usage.
//
//   node test/tokenize.js [--grammar syntaxes/lawful.tmLanguage.json] FILE...
'use strict';

const fs = require('fs');
const path = require('path');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const SCOPE = 'source.lawful';
const TIME_LIMIT_MS = 2000;

function parseArgs(argv) {
  let grammarPath = path.join(__dirname, '..', 'syntaxes', 'lawful.tmLanguage.json');
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--grammar' && i + 1 < argv.length) {
      grammarPath = argv[++i];
    } else {
      files.push(argv[i]);
    }
  }
  return { grammarPath, files };
}

async function loadGrammar(grammarPath) {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName) =>
      scopeName === SCOPE
        ? vsctm.parseRawGrammar(fs.readFileSync(grammarPath, 'utf8'), grammarPath)
        : null,
  });
  const grammar = await registry.loadGrammar(SCOPE);
  if (!grammar) {
    throw new Error(`no grammar for ${SCOPE} in ${grammarPath}`);
  }
  return grammar;
}

/** A UTF-16 offset in `line` as a code-point offset. */
function codePoints(line, offset) {
  return /[\uD800-\uDFFF]/.test(line) ? Array.from(line.slice(0, offset)).length : offset;
}

function tokenizeFile(grammar, file, out) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  let ruleStack = vsctm.INITIAL;
  let failed = 0;
  lines.forEach((line, index) => {
    const number = index + 1;
    let result;
    try {
      result = grammar.tokenizeLine(line, ruleStack, TIME_LIMIT_MS);
    } catch (error) {
      out.push(JSON.stringify({ file, line: number, error: String(error) }));
      failed++;
      return;
    }
    if (result.stoppedEarly) {
      out.push(JSON.stringify({ file, line: number, error: `stopped after ${TIME_LIMIT_MS} ms` }));
      failed++;
      return;
    }
    for (const token of result.tokens) {
      const start = Math.min(token.startIndex, line.length);
      const end = Math.min(token.endIndex, line.length);
      if (end <= start) {
        continue; // the line's end, past its last character
      }
      out.push(JSON.stringify({
        file,
        line: number,
        start: codePoints(line, start),
        end: codePoints(line, end),
        text: line.slice(start, end),
        scopes: token.scopes,
      }));
    }
    ruleStack = result.ruleStack;
  });
  out.push(JSON.stringify({ file, lines: lines.length }));
  return failed;
}

async function main() {
  const { grammarPath, files } = parseArgs(process.argv.slice(2));
  if (files.length === 0) {
    process.stderr.write('usage: node test/tokenize.js [--grammar GRAMMAR.json] FILE...\n');
    return 2;
  }
  const grammar = await loadGrammar(grammarPath);
  let failed = 0;
  for (const file of files) {
    const out = [];
    failed += tokenizeFile(grammar, file, out);
    process.stdout.write(out.join('\n') + '\n');
  }
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`tokenize.js: ${error && error.stack ? error.stack : error}\n`);
    process.exitCode = 1;
  },
);
