"use strict";
// Preloaded into the jsii runtime (node) by rayfort._cdk: a prebuilt provider package's entry point,
// lib/index.js, requires every one of its modules (about 1,470 files and 200 MB of JavaScript for
// google), which costs seconds and ~400 MB before a synth creates anything. The same packages ship
// lib/lazy-index.js, which exports the same namespaces as getters that require a module when it is
// first used; the jsii kernel reaches a class through those namespaces, and since jsii 1.19 reads each
// class's type from the module that defines it, so it works unchanged on the lazy entry point
// (aws/jsii#4181, "lazy-friendly runtime loading"). Only the entry point of a provider package that
// ships a lazy index is redirected; everything else resolves as usual.
const Module = require("module");
const fs = require("fs");
const path = require("path");

const PROVIDER_ENTRY = /[\\/]@cdkt[fn][\\/]provider-[^\\/]+[\\/]lib[\\/]index\.js$/;
const resolveFilename = Module._resolveFilename;

Module._resolveFilename = function resolveLazyProviderEntry(...args) {
  const resolved = resolveFilename.apply(this, args);
  if (!PROVIDER_ENTRY.test(resolved)) {
    return resolved;
  }
  const lazy = path.join(path.dirname(resolved), "lazy-index.js");
  return fs.existsSync(lazy) ? lazy : resolved;
};
