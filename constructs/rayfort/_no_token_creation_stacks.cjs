"use strict";
// Preloaded into the jsii runtime (node) by rayfort._cdk under CDK for Terraform: every token cdktf
// creates records the full JavaScript stack where it was created (an unlimited-depth trace), which
// cdktf shows only when that token fails to resolve. A 500-tenant synth creates hundreds of thousands
// of tokens; their traces held 100-300 MB of the runtime and a tenth of its CPU. CDK Terrain, the
// maintained fork, turns them off with CDKTN_DISABLE_CREATION_STACK=1 (rayfort sets it); cdktf has no
// such switch, so this gives cdktf's recorder an empty trace. The output is the same either way
// (tests/synth/test_app.py); RAYFORT_TOKEN_CREATION_STACKS=keep leaves the traces on, to debug a token.
const Module = require("module");

const RECORDER = /[\\/]cdktf[\\/]lib[\\/]tokens[\\/]private[\\/]stack-trace\.js$/;
const load = Module._load;

Module._load = function loadWithoutCreationStacks(request, parent, ...rest) {
  const exported = load.call(this, request, parent, ...rest);
  if (request.endsWith("stack-trace") && RECORDER.test(Module._resolveFilename(request, parent))) {
    exported.captureStackTrace = () => []; // cdktf's modules read the export at each call
  }
  return exported;
};
