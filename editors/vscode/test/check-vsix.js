#!/usr/bin/env node
// Check an unpacked .vsix (its `extension/` folder): the grammar and language
// configuration its manifest names are there, and its compiled extension loads
// with only the files packed beside it (the `vscode` module, which the editor
// provides, is stubbed), so .vscodeignore left out nothing the extension needs.
//
//   node test/check-vsix.js UNPACKED/extension
'use strict';

const fs = require('fs');
const path = require('path');
const Module = require('module');

function fail(message) {
  process.stderr.write(`check-vsix.js: ${message}\n`);
  process.exit(1);
}

const root = process.argv[2];
if (!root) {
  fail('usage: node test/check-vsix.js UNPACKED/extension');
}
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const named = [
  manifest.main.endsWith('.js') ? manifest.main : `${manifest.main}.js`,
  ...manifest.contributes.grammars.map((g) => g.path),
  ...manifest.contributes.languages.map((l) => l.configuration).filter(Boolean),
];
for (const file of named) {
  if (!fs.existsSync(path.join(root, file))) {
    fail(`${file}, named by package.json, is not in the package`);
  }
}

// `vscode`: any property, call or `new` gives another stub, so modules that
// subclass or read its API at load time load.
const stub = new Proxy(function () {}, {
  get: (target, key) => (key === 'prototype' ? {} : stub),
  apply: () => stub,
  construct: () => ({}),
});
const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === 'vscode') {
    return stub;
  }
  const resolved = Module._resolveFilename(request, parent, isMain);
  if (path.isAbsolute(resolved) && !resolved.startsWith(path.resolve(root) + path.sep)) {
    fail(`the extension loads ${resolved}, outside the package`);
  }
  return load.apply(this, arguments);
};

const extension = require(path.resolve(root, manifest.main));
if (typeof extension.activate !== 'function' || typeof extension.deactivate !== 'function') {
  fail(`${manifest.main} exports no activate and deactivate`);
}
const { LanguageClient } = require(path.join(path.resolve(root), 'node_modules', 'vscode-languageclient', 'node'));
if (typeof LanguageClient !== 'function') {
  fail('vscode-languageclient/node has no LanguageClient');
}
process.stdout.write(`the packaged extension loads (${manifest.publisher}.${manifest.name} ${manifest.version})\n`);
