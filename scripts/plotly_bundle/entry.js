// The trace types the control room draws (dash_app, and the lab's figures from
// services/analytics/compare.py); tests/test_dash_plotly_bundle.py checks the list against them.
var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/scattergl'),
    require('plotly.js/lib/heatmap'),
    require('plotly.js/lib/bar')
]);

module.exports = Plotly;
