"use strict";
// Preloaded into the jsii runtime (node) by rayfort._cdk: data handed to Token.asAny as JSON text.
// A value crossing from Python to the runtime is converted value by value twice: by jsii's Python
// serializer, then by the kernel, which infers a type for each nested value. A Kubernetes object's
// block holds hundreds of values, and ~40 blocks per tenant made this about a third of a tenant's
// synth. rayfort.k8s.manifest hands plain blocks (strings, numbers, booleans, lists and objects, no
// nulls) as one string, "\u0000rayfort-json\u0000" + JSON; the framework's Token.asAny parses it back
// into the same value the kernel would have built. Any other argument is passed on unchanged.
const Module = require("module");

const TOKEN_MODULE = /[\\/]cdkt[fn][\\/]lib[\\/]tokens[\\/]token\.js$/;
const JSON_DATA = "\u0000rayfort-json\u0000";
const load = Module._load;

Module._load = function loadTokensTakingJson(request, parent, ...rest) {
  const exported = load.call(this, request, parent, ...rest);
  if (request.endsWith("token") && exported.Token && !exported.Token.rayfortJsonData) {
    if (TOKEN_MODULE.test(Module._resolveFilename(request, parent))) {
      const asAny = exported.Token.asAny;
      exported.Token.asAny = function asAnyTakingJson(value) {
        const data = typeof value === "string" && value.startsWith(JSON_DATA);
        return asAny.call(this, data ? JSON.parse(value.slice(JSON_DATA.length)) : value);
      };
      exported.Token.rayfortJsonData = true;
    }
  }
  return exported;
};
