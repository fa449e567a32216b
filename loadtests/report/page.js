// The experiment report's page: reads the JSON report.mjs inlined (#report-data) and draws it with uPlot,
// which is inlined before this script. Everything is built with textContent, never innerHTML, so a label
// or a verdict's text cannot become markup. window.report exposes the charts once they are drawn.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var meta = data.meta;
  var PALETTE = ['#1f6fd1', '#d9480f', '#2b8a3e', '#ae3ec9', '#0b7285', '#e67700', '#5c7cfa', '#a61e4d', '#495057', '#94d82d'];
  var THRESHOLD = '#c62828';
  var LOOP_COLORS = { min_threads: '#7b3fe4', replicas: '#e07b00' };
  var MARKER_OTHER = '#495057';
  // Threads, items and replicas are whole numbers: no ticks between them.
  var INTEGER_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000];

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k];
      else if (k === 'className') node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return node;
  }

  function utc(t) {
    return new Date(t * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  }

  function since(t) {
    return '+' + Math.round(t - meta.from) + ' s';
  }

  function round(v) {
    if (Number.isInteger(v)) return String(v);
    return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : String(Math.round(v * 100) / 100);
  }

  function fmt(v, unit) {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    if (unit === 'seconds') return v < 1 ? round(v * 1000) + ' ms' : round(v) + ' s';
    if (unit === 'ratio') return round(v * 100) + ' %';
    return round(v);
  }

  function markerColor(m) {
    return LOOP_COLORS[m.loop] || MARKER_OTHER;
  }

  function actions(m) {
    var out = [];
    if (m.minThreadsAction && m.minThreadsAction !== 'none') out.push(m.minThreadsAction + ' min threads');
    if (m.replicaAction && m.replicaAction !== 'none') out.push(m.replicaAction.replace('_', ' ') + ' replicas');
    return out.join(', ');
  }

  function markerText(m) {
    return utc(m.t) + '  (' + since(m.t) + ')\n' +
      (m.loop || 'unknown') + ' loop: ' + actions(m) + '\n' +
      'reason: ' + m.reason + '\n' +
      'regime: ' + m.regime + ', autoscaler: ' + m.autoscaler + (m.count > 1 ? ', ' + m.count + ' decisions in this step' : '');
  }

  var tooltip = el('div', { id: 'tooltip', role: 'tooltip' });

  function showTooltip(event, text) {
    tooltip.textContent = text;
    tooltip.style.display = 'block';
    var x = Math.min(event.clientX + 12, window.innerWidth - tooltip.offsetWidth - 8);
    tooltip.style.left = x + 'px';
    tooltip.style.top = (event.clientY + 14) + 'px';
  }

  function hideTooltip() {
    tooltip.style.display = 'none';
  }

  // A uPlot plugin: a dashed vertical line per decision on the canvas, and over it a strip with a small
  // triangle that shows the decision's reason and actions on hover.
  function markersPlugin(markers) {
    var layer;
    return {
      hooks: {
        init: function (u) {
          layer = el('div', { className: 'markers' });
          u.over.appendChild(layer);
        },
        draw: function (u) {
          var ctx = u.ctx;
          var top = u.bbox.top;
          var height = u.bbox.height;
          ctx.save();
          ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
          ctx.lineWidth = devicePixelRatio;
          markers.forEach(function (m) {
            var cx = Math.round(u.valToPos(m.t, 'x', true));
            ctx.strokeStyle = markerColor(m);
            ctx.beginPath();
            ctx.moveTo(cx, top);
            ctx.lineTo(cx, top + height);
            ctx.stroke();
          });
          ctx.restore();
          layer.replaceChildren.apply(layer, markers.map(function (m) {
            var strip = el('div', { className: 'decision-marker', 'aria-label': markerText(m) });
            strip.dataset.reason = m.reason;
            strip.dataset.loop = m.loop;
            strip.style.left = u.valToPos(m.t, 'x') + 'px';
            strip.style.setProperty('--marker', markerColor(m));
            strip.addEventListener('mouseenter', function (e) { showTooltip(e, markerText(m)); });
            strip.addEventListener('mousemove', function (e) { showTooltip(e, markerText(m)); });
            strip.addEventListener('mouseleave', hideTooltip);
            return strip;
          }));
        },
      },
    };
  }

  function header() {
    var overall = data.verdict ? data.verdict.overall : null;
    var title = el('h1', {}, [meta.title + ' ']);
    if (overall) title.appendChild(el('span', { className: 'status ' + overall, id: 'overall', text: overall }));
    var exit = meta.exitCode === null ? null
      : 'k6 exited ' + meta.exitCode + (meta.exitCode === 0 ? ' (every threshold held)' : meta.exitCode === 99 ? ' (a threshold or the server-side verdict failed)' : '') + '. ';
    var lines = [
      el('p', { className: 'provenance', id: 'provenance' }, [
        'Data from Prometheus ', el('code', { text: meta.prometheus }), ' (query_range, one point every ' + meta.step + ' s) for ',
        el('b', { text: utc(meta.from) }), ' to ', el('b', { text: utc(meta.to) }),
        ', read at ' + utc(meta.generatedAt) + '. testid ', el('code', { text: meta.testid }),
        ', namespace =~ ', el('code', { text: meta.namespace }), ', autoscaler =~ ', el('code', { text: meta.autoscaler }), '.',
      ]),
      el('p', { className: 'provenance' }, [
        exit,
        'Verdict: ' + (meta.verdictFile ? 'the VERDICT-JSON line of ' : 'none given'), meta.verdictFile ? el('code', { text: meta.verdictFile }) : null,
        '. k6 summary: ' + (meta.summaryFile ? '' : 'none given'), meta.summaryFile ? el('code', { text: meta.summaryFile }) : null, '.',
      ]),
    ];
    var nodes = [title].concat(lines);
    if (data.problems.length > 0) {
      nodes.push(el('div', { className: 'problems', id: 'problems' }, data.problems.map(function (p) { return el('div', { text: p }); })));
    }
    return nodes;
  }

  function table(id, headings, rows) {
    return el('table', { id: id }, [
      el('thead', {}, [el('tr', {}, headings.map(function (h) { return el('th', { text: h }); }))]),
      el('tbody', {}, rows),
    ]);
  }

  function verdictSection() {
    if (!data.verdict) return [el('h2', { text: 'Server-side verdict' }), el('p', { id: 'verdict-missing', text: 'No verdict was given to the report.' })];
    var v = data.verdict;
    return [
      el('h2', { text: 'Server-side verdict: ' + v.title + ' — ' + v.overall }),
      table('verdict', ['check', 'expected', 'observed', 'result'], v.rows.map(function (r) {
        return el('tr', {}, [el('td', { text: r.check }), el('td', { text: r.expected }), el('td', { text: r.observed }), el('td', { className: 'result ' + r.result, text: r.result })]);
      })),
    ];
  }

  var charts = [];

  function plotSection() {
    var grid = el('div', { className: 'plots' });
    var built = [];
    data.plots.forEach(function (plot) {
      var box = el('div', { className: 'plot', id: 'plot-' + plot.id }, [el('h3', { text: plot.title }), el('p', { className: 'what', text: plot.what })]);
      grid.appendChild(box);
      if (plot.series.length === 0) {
        box.appendChild(el('p', { className: 'empty', text: 'No data for this plot: see "Series without data" below.' }));
        return;
      }
      built.push({ plot: plot, box: box });
    });
    var key = el('p', { className: 'key' }, ['Decisions (hover a triangle for the reason):']);
    Object.keys(LOOP_COLORS).forEach(function (loop) {
      var swatch = el('span');
      swatch.style.borderColor = LOOP_COLORS[loop];
      key.appendChild(swatch);
      key.appendChild(document.createTextNode(loop + ' loop'));
    });
    var draw = function () {
      built.forEach(function (b) {
        var plot = b.plot;
        var opts = {
          width: b.box.clientWidth - 24,
          height: 230,
          tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'); },
          cursor: { sync: { key: 'report' } },
          scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.08 : 1]; } } },
          axes: [
            { values: function (u, splits) { return splits.map(function (t) { return new Date(t * 1000).toISOString().slice(11, 19); }); } },
            {
              size: 64,
              incrs: plot.unit === 'count' ? INTEGER_STEPS : undefined,
              values: function (u, splits) { return splits.map(function (v) { return fmt(v, plot.unit); }); },
            },
          ],
          series: [{ label: 'time (UTC)', value: function (u, t) { return t === null ? '–' : utc(t); } }].concat(plot.series.map(function (s, i) {
            return {
              label: s.label,
              stroke: s.threshold ? THRESHOLD : PALETTE[i % PALETTE.length],
              width: s.threshold ? 2 : 1.5,
              dash: s.threshold ? [8, 5] : undefined,
              points: { show: false },
              value: function (u, v) { return fmt(v, plot.unit); },
            };
          })),
          plugins: [markersPlugin(data.markers)],
        };
        var u = new uPlot(opts, [data.x].concat(plot.series.map(function (s) { return s.values; })), b.box);
        charts.push({ id: plot.id, title: plot.title, uplot: u, box: b.box });
      });
    };
    return { nodes: [el('h2', { text: 'Over time (UTC)' }), key, grid], draw: draw };
  }

  function decisionsSection() {
    if (data.markers.length === 0) return [el('h2', { text: 'Operator decisions' }), el('p', { id: 'decisions-missing', text: 'The operator took no action in this range.' })];
    return [
      el('h2', { text: 'Operator decisions that acted (' + data.markers.length + ')' }),
      table('decisions', ['time', 'loop', 'action', 'reason', 'regime', 'autoscaler', 'count'], data.markers.map(function (m) {
        return el('tr', {}, [el('td', { text: utc(m.t) + ' (' + since(m.t) + ')' }), el('td', { text: m.loop }), el('td', { text: actions(m) }),
          el('td', { text: m.reason }), el('td', { text: m.regime }), el('td', { text: m.autoscaler }), el('td', { text: String(m.count) })]);
      })),
    ];
  }

  function summarySection() {
    if (!data.summary) return [];
    return [
      el('h2', { text: 'k6 end-of-test summary' }),
      table('k6-summary', ['metric', 'values', 'thresholds'], data.summary.map(function (m) {
        var timed = /duration|waiting|connecting|blocked|sending|receiving|tls_handshaking/.test(m.metric);
        var values = m.values.map(function (v) { return v.key + ' ' + (timed && v.key !== 'count' && v.key !== 'rate' ? round(v.value) + ' ms' : round(v.value)); }).join(', ');
        var thresholds = m.thresholds.map(function (t) { return t.expr + ': ' + (t.ok ? 'held' : 'FAILED'); }).join(', ');
        return el('tr', {}, [el('td', {}, [el('code', { text: m.metric })]), el('td', { text: values }), el('td', { className: m.thresholds.some(function (t) { return !t.ok; }) ? 'result FAIL' : '', text: thresholds })]);
      })),
    ];
  }

  function noDataSection() {
    var title = el('h2', { text: 'Series without data' });
    if (data.noData.length === 0) return [title, el('p', { id: 'no-data', 'data-count': '0', text: 'Every series had data.' })];
    return [title, el('ul', { id: 'no-data', 'data-count': String(data.noData.length) }, data.noData.map(function (n) {
      return el('li', {}, [n.plot + ' / ' + n.series + ': ' + n.why + ' — ', el('code', { text: n.promql })]);
    }))];
  }

  function queriesSection() {
    return [el('details', {}, [el('summary', { text: 'The PromQL behind each plot' }), el('ul', {}, data.plots.map(function (p) {
      return el('li', {}, [p.title + ': '].concat(p.queries.map(function (q) { return el('div', {}, [el('code', { text: q })]); })));
    }))])];
  }

  var plots = plotSection();
  var main = el('main', {}, [].concat(header(), verdictSection(), plots.nodes, decisionsSection(), summarySection(), noDataSection(), queriesSection()));
  document.body.appendChild(main);
  document.body.appendChild(tooltip);
  plots.draw();

  var resizeTimer = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () {
      charts.forEach(function (c) { c.uplot.setSize({ width: c.box.clientWidth - 24, height: 230 }); });
    }, 100);
  });

  window.report = { ready: true, data: data, charts: charts };
})();
