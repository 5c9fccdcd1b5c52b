'use strict';
// `import uWS from 'uWebSockets.js'`: the native module of the first build in build.js that loads
// here. No build loading is an error, never a silent fallback to a slower implementation.
const { selectBuild } = require('./build.js');

const selected = selectBuild();
if (!selected.ok) throw new Error(selected.problem);
module.exports = selected.uws;
