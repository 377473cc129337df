/*
 * A plotly.js bundle with only the trace types the control room draws, for dash_app/assets/.
 *
 * Why: the full plotly.js (4.8 MB) that dcc.Graph loads takes 1.5 s of a core to evaluate in a
 * fresh page at a load of 6-7 on the 2-core development machine (2-3.7 s at load 11), most of the
 * City page's first render; this bundle (scatter, scattergl, heatmap, bar: 1.6 MB) takes
 * 0.3-0.5 s. Dash serves every script in dash_app/assets/ with the page, so window.Plotly exists
 * before any graph mounts and dcc.Graph loads nothing more (without the file it falls back to
 * its own full bundle). Same plotly.js version as the Python plotly package's (a test checks).
 *
 * Built with plotly.js's own esbuild settings (its esbuild-config.js), from the npm registry:
 *
 *     cd scripts/plotly_bundle && npm install && node build.js
 */
const path = require('path');
const esbuild = require('esbuild');
const { environmentPlugin } = require('esbuild-plugin-environment');
const { glsl } = require('esbuild-plugin-glsl');
const InlineCSSPlugin = require('esbuild-plugin-inline-css');
const version = require('plotly.js/package.json').version;

esbuild.build({
    entryPoints: [path.join(__dirname, 'entry.js')],
    outfile: path.join(__dirname, '..', '..', 'dash_app', 'assets', 'plotly-control-room.min.js'),
    format: 'iife',
    globalName: 'Plotly',
    bundle: true,
    minify: true,
    sourcemap: false,
    plugins: [InlineCSSPlugin(), glsl({ minify: true }), environmentPlugin({ NODE_DEBUG: false })],
    alias: { regl: '@plotly/regl', stream: 'stream-browserify' },
    define: { global: 'window', 'define.amd': 'false' },
    target: 'es2016',
    legalComments: 'eof',
    banner: { js: `/**\n* plotly.js v${version} (scatter, scattergl, heatmap, bar: scripts/plotly_bundle)\n` +
                  '* Copyright 2012-2026, Plotly, Inc.\n* All rights reserved.\n* Licensed under the MIT license\n*/' },
    logLevel: 'warning'
}).then(() => console.log(`plotly.js ${version} bundle written`));
