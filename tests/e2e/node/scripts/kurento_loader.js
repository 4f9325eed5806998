// Loads the official kurento-client of one major version for the minikms tests.
//
// Two fixes of the test installation, not of the protocol:
// - kurento-client 6.18.0 is installed under the alias "kurento-client-6", but its own modules
//   (kurento-client-core/elements/filters 6.18.0) `require('kurento-client')`, which would load the
//   top-level 7.3.0 copy and mix the two registries. Requests for 'kurento-client' made from inside
//   the 6.18.0 tree are resolved to that tree, as if 6.18.0 were installed alone.
// - Both versions build transactions on `require('domain').Domain`, a class on Node >= 16 that their
//   code calls without `new`; hiding it makes them use their own bundled fallback (FakeDomain).
'use strict';

const Module = require('module');
const path = require('path');

function loadKurentoClient(major) {
  require('domain').Domain = undefined;
  if (major !== 6) return require('kurento-client');
  const root = path.dirname(require.resolve('kurento-client-6/package.json'));
  const original = Module._resolveFilename;
  Module._resolveFilename = function (request, parent, ...rest) {
    if (request === 'kurento-client' && parent && parent.filename && parent.filename.startsWith(root)) {
      return original.call(this, root, parent, ...rest);
    }
    return original.call(this, request, parent, ...rest);
  };
  return require('kurento-client-6');
}

module.exports = { loadKurentoClient };
