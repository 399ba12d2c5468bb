const DTYPES = { f8: Float64Array, f4: Float32Array, i1: Int8Array, u1: Uint8Array, u1c: Uint8ClampedArray,
                 i2: Int16Array, u2: Uint16Array, i4: Int32Array, u4: Uint32Array };

function decode(spec) {
  const Type = DTYPES[spec.dtype];
  const bytes = Uint8Array.from(atob(spec.bdata), (c) => c.charCodeAt(0));
  const flat = new Type(bytes.buffer);
  const shape = typeof spec.shape === 'string' ? spec.shape.split(',').map(Number) : spec.shape;
  if (!shape || shape.length < 2) return flat;
  const [rows, cols] = shape;
  return Array.from({ length: rows }, (_, i) => flat.subarray(i * cols, (i + 1) * cols));
}

// The template every figure carries, which the server sends as TEMPLATE_MARK (live_board.py):
// each chart parses its own copy once and keeps it, so frames share it by identity.
const SHARED_TEMPLATE = __SHARED_TEMPLATE__;  // JSON text
const TEMPLATE_MARK = __TEMPLATE_MARK__;

// A figure as sent (JSON), as the chart draws it: the shared template put back, and every axis
// that the figure gives no range autoranged, as in a fresh plot, said explicitly. Every figure has
// the same uirevision (a user's zoom outlives a frame), and under it plotly kept the `autorange:
// false` it had filled in while the axis had a range: the epoch axis of the curves, ranged while
// training plays and left to plotly once paused, showed epochs -1 to 6 of 550 (or kept its old
// range: a range plotly filled in and one dropped look alike to relayoutUpdate). A user's zoom is
// still kept: plotly keeps it where the axis was autoranged before it.
function parseFigure(el, text) {
  const fig = JSON.parse(text);
  const layout = fig && fig.layout;
  if (!layout) return fig;
  if (layout.template === TEMPLATE_MARK) {
    layout.template = el.__template || (el.__template = JSON.parse(SHARED_TEMPLATE));
  }
  for (const [k, v] of Object.entries(layout)) {
    if (/^[xy]axis\d*$/.test(k) && v && typeof v === 'object' && v.range === undefined && v.autorange === undefined) {
      v.autorange = true;
    }
  }
  return fig;
}

function isSpec(v) {
  return v && typeof v === 'object' && typeof v.bdata === 'string' && DTYPES[v.dtype] !== undefined;
}

// Structural sharing: return `prev` wherever `next` holds the same values. Plotly.react treats
// arrays as changed when their identity changes (and then recomputes and redraws the whole
// chart), so unchanged data keeps its old arrays and only what really changed is redrawn.
function share(prev, next) {
  if (prev === next) return prev;
  if (isSpec(next)) {
    if (prev && prev.__spec === next.bdata + '|' + next.shape) return prev;
    const out = decode(next);
    Object.defineProperty(out, '__spec', { value: next.bdata + '|' + next.shape });
    return out;
  }
  if (Array.isArray(next)) {
    const same = Array.isArray(prev) && prev.length === next.length;
    let changed = !same;
    const out = next.map((v, i) => {
      const s = share(same ? prev[i] : undefined, v);
      if (!same || s !== prev[i]) changed = true;
      return s;
    });
    return changed ? out : prev;
  }
  if (next && typeof next === 'object') {
    const base = prev && typeof prev === 'object' && !Array.isArray(prev) ? prev : null;
    const out = {};
    let changed = !base || Object.keys(base).length !== Object.keys(next).length;
    for (const k of Object.keys(next)) {
      out[k] = share(base ? base[k] : undefined, next[k]);
      if (!base || out[k] !== base[k]) changed = true;
    }
    return changed ? out : base;
  }
  return next;
}

function pointsOf(event) {
  return (event.points || []).map((p) => ({
    curve: p.curveNumber, point: p.pointNumber,
    customdata: p.customdata === undefined ? null : p.customdata,
  }));
}

// True when two trace lists draw the same kinds of things (so one may stand in for the other).
function sameTraces(a, b) {
  return Array.isArray(a) && Array.isArray(b) && a.length === b.length
    && a.every((t, i) => t.type === b[i].type && t.name === b[i].name && t.visible === b[i].visible);
}

// Layout fields a held chart may change by a relayout: its pictures, its title's text (an
// output's score) and its shapes' paths (a network's links, a path per sign and width). Plotly
// redraws those alone, without recomputing the chart.
const RELAYOUT_ONLY = /^(images\[\d+\]\.source|title\.text|shapes\[\d+\]\.path)$/;

// What plotly writes into the layout it keeps (an axis's inferred type, range and domain), so
// the previous layout may have these where the new one has not.
const PLOTLY_FILLS = new Set(['type', 'autorange', 'autosize', 'range', 'domain']);

// The relayout that turns layout `prev` into `next` ({} when they do not differ), or null when
// they differ in anything else or in shape. Objects `share` kept are the same objects, so
// identity tells what changed. `sized`: the top-level height and width to skip, being as last
// drawn (plotly drops them from the layout it keeps when it sizes the chart itself).
function relayoutUpdate(prev, next, sized = new Set(), path = '', update = {}) {
  if (prev === next) return update;
  const arrays = Array.isArray(prev) && Array.isArray(next);
  const objects = prev && next && typeof prev === 'object' && typeof next === 'object'
    && !Array.isArray(prev) && !Array.isArray(next);
  if (arrays || objects) {
    const keys = Object.keys(next);
    if (Object.keys(prev).some((k) => !(k in next) && !(objects && PLOTLY_FILLS.has(k)))) return null;
    for (const k of keys) {
      if (!path && sized.has(k)) continue;
      if (!(k in prev)) return null;
      const sub = arrays ? `${path}[${k}]` : path ? `${path}.${k}` : k;
      if (relayoutUpdate(prev[k], next[k], sized, sub, update) === null) return null;
    }
    return update;
  }
  if (!RELAYOUT_ONLY.test(path)) return null;
  update[path] = next;
  return update;
}

const XLINK = 'http://www.w3.org/1999/xlink';  // plotly sets a picture's href in this namespace
const SEGMENT = /([ML])(-?[\d.]+),(-?[\d.]+)/g;        // a point of a link path: M or L, then x,y

// A held chart's relayout done on the SVG plotly drew, without plotly: a new picture's href, a
// link shape's path (straight M/L segments in data coordinates, converted as plotly converts
// them) or a plain title's text. Plotly.relayout of those ran plotly's layout defaults for the
// whole chart, 8-16 ms a chart (~190 ms a second in a 4-run compare's renderer). Updates
// gd.layout as plotly would, so later full draws start from it. False, with nothing changed,
// where an element is not found once or a value is not of that simple kind: plotly relayouts.
function relayoutInPlace(el, update) {
  const layout = el.layout, full = el._fullLayout;
  if (!layout || !full) return false;
  const ops = [];
  for (const [key, value] of Object.entries(update)) {
    let m = key.match(/^images\[(\d+)\]\.source$/);
    if (m) {
      const image = layout.images && layout.images[+m[1]];
      const found = image ? [...el.querySelectorAll('image')].filter((img) => img._imgSrc === image.source) : [];
      if (typeof value !== 'string' || !value.startsWith('data:') || found.length !== 1) return false;
      ops.push(() => { found[0].setAttributeNS(XLINK, 'href', value); found[0]._imgSrc = value; image.source = value; });
      continue;
    }
    m = key.match(/^shapes\[(\d+)\]\.path$/);
    if (m) {
      const i = +m[1], shape = layout.shapes && layout.shapes[i];
      const found = el.querySelectorAll(`.shapelayer path[data-index="${i}"]`);
      const xa = shape && typeof shape.xref === 'string' && axisOf(full, shape.xref);
      const ya = shape && typeof shape.yref === 'string' && axisOf(full, shape.yref);
      if (!xa || !ya || xa.type !== 'linear' || ya.type !== 'linear' || found.length !== 1 || typeof value !== 'string'
          || value.replace(SEGMENT, '') !== '') return false;
      const d = value.replace(SEGMENT, (_, c, x, y) =>
        c + (xa._offset + xa.r2p(+x)).toFixed(2) + ',' + (ya._offset + ya.r2p(+y)).toFixed(2));
      ops.push(() => { found[0].setAttribute('d', d); shape.path = value; });
      continue;
    }
    if (key === 'title.text') {
      const text = el.querySelectorAll('.g-gtitle text.gtitle');
      const old = layout.title && layout.title.text;
      if (text.length !== 1 || typeof value !== 'string' || typeof old !== 'string' || /[<&]/.test(value + old)
          || text[0].textContent !== old) return false;
      ops.push(() => { text[0].textContent = value; layout.title.text = value; });
      continue;
    }
    return false;
  }
  for (const op of ops) op();
  return true;
}

// The changes from traces `prev` (drawn) to `next` that only feed hover labels, as functions that
// put each new value where plotly's hover reads it, in the calcdata plotly computed from the old:
// a scatter's per-point hovertext (a network's node values), and the z of a heatmap drawn
// invisible (opacity 0, an output's probabilities under the pointer: only its hover values
// show). Null when anything else differs: the chart is then drawn in full. A whole draw for new
// hover values cost 25-45 ms a chart (outputs and networks, ~140 ms a second in a 4-run compare).
function hoverInPlace(el, prev, next) {
  const full = el._fullData, calc = el.calcdata;
  if (!full || !calc || prev.length !== next.length) return null;
  const ops = [];
  for (let i = 0; i < next.length; i++) {
    const p = prev[i], n = next[i], trace = full[i], cd = calc[i];
    if (p === n) continue;
    for (const k of new Set([...Object.keys(p), ...Object.keys(n)])) {
      const value = n[k];
      if (p[k] === value) continue;
      if (!(k in p) || !(k in n) || !trace || !cd || trace.index !== i) return null;
      if (k === 'hovertext' && trace.type === 'scatter' && Array.isArray(value) && cd.length === value.length
          && value.every((v) => typeof v === 'string')) {
        ops.push(() => { cd.forEach((point, j) => { point.htx = value[j]; }); trace.hovertext = value; p[k] = value; });
        continue;
      }
      const z = cd[0] && cd[0].z;
      // (Its colour bar, if shown, must not follow z: a fixed zmin and zmax.)
      if (k === 'z' && trace.type === 'heatmap' && trace.opacity === 0 && !trace.transpose && Array.isArray(z)
          && (trace.showscale === false || trace.zauto === false)
          && Array.isArray(value) && value.length === z.length
          && value.every((row, r) => row.length === z[r].length && Array.prototype.every.call(row, Number.isFinite))) {
        ops.push(() => { cd[0].z = Array.from(value, (row) => Array.from(row)); trace.z = value; p[k] = value; });
        continue;
      }
      return null;
    }
  }
  return ops;
}

// `next` without its axes' ranges: the x axes' too with `xToo` (see sameLayout, rangeUpdate).
function unranged(next, xToo) {
  const ranged = xToo ? /^[xy]axis\d*$/ : /^yaxis\d*$/;
  return Object.fromEntries(Object.entries(next || {}).map(([k, v]) => {
    if (!ranged.test(k) || !v || typeof v !== 'object') return [k, v];
    const { range, ...rest } = v;  // eslint-disable-line no-unused-vars
    return [k, rest];
  }));
}

// The layout as plotly drew it, give or take what plotly filled in itself and the y axes' ranges:
// lines that fit the axes as drawn are drawn right on them (extendLines checks that they fit).
// A new x range is rangeUpdate's, and so the y ranges catch up at the latest then.
function sameLayout(drawn, next) {
  const update = relayoutUpdate(drawn, unranged(next, false));
  return update !== null && Object.keys(update).length === 0;
}

// The relayout of the axes' ranges that turns the layout as drawn into `next`, when nothing else
// differs (the epochs outgrew the x axis: each range a list of two numbers); else null. Plotly
// redraws its axes and re-projects its lines for it in a few ms, and extendLines then draws the
// lines' new points: a whole draw of the overlaid curves (16 lines) took 50-90 ms, up to once a
// second while the epoch axis grows (measured in a 4-run compare's renderer).
function rangeUpdate(drawn, next) {
  const same = relayoutUpdate(drawn, unranged(next, true));
  if (same === null || Object.keys(same).length) return null;
  const update = {};
  for (const [k, v] of Object.entries(next || {})) {
    if (!/^[xy]axis\d*$/.test(k) || !v || v.range === undefined) continue;
    const r = v.range, was = drawn[k] && drawn[k].range;
    if (!Array.isArray(r) || r.length !== 2 || !r.every(Number.isFinite)) return null;
    if (!Array.isArray(was) || was[0] !== r[0] || was[1] !== r[1]) update[`${k}.range`] = [...r];
  }
  return Object.keys(update).length ? update : null;
}

// A line chart's axis as named by its trace ('x2' -> layout.xaxis2).
function axisOf(layout, id) {
  return layout[id.charAt(0) + 'axis' + id.slice(1)];
}

// Redraw a line chart's lines in place from `data` (traces the same as drawn): a path per trace,
// computed with the axes as drawn. Plotly.react recomputed and redrew the whole chart instead,
// 25-45 ms for the loss curves four times a second, the largest chart cost while training.
// False, with nothing changed, when a point falls off the axes as drawn or a trace is drawn
// otherwise than as one straight-segment line: the chart is then drawn in full. A point off
// the y axis as drawn that the new figure's y range (`target`, its layout) leaves off too (a
// loss spike clipped on purpose) is drawn where it lies, outside the plot area, which clips it
// as plotly does: in a long run that range shrinks a little each frame, and the curves were
// drawn whole every time.
function extendLines(el, data, target = {}) {
  const full = el._fullData, layout = el._fullLayout, calc = el.calcdata;
  if (!full || !layout || !calc || full.length !== data.length) return false;
  const paths = [];
  for (let i = 0; i < data.length; i++) {
    const trace = full[i];
    if (trace.visible !== true) continue;  // hidden from the legend: nothing drawn to update
    const node = calc[i] && calc[i][0] && calc[i][0].node3 && calc[i][0].node3.node();
    const lines = node ? node.querySelectorAll('path.js-line') : [];
    const xa = axisOf(layout, trace.xaxis), ya = axisOf(layout, trace.yaxis);
    if (trace.type !== 'scatter' || trace.mode !== 'lines' || trace.line.shape !== 'linear' || lines.length !== 1
        || !xa || !ya || xa.type !== 'linear' || ya.type !== 'linear') return false;
    const [x0, x1] = [Math.min(...xa.range), Math.max(...xa.range)];
    const [y0, y1] = [Math.min(...ya.range), Math.max(...ya.range)];
    const wanted = (axisOf(target, trace.yaxis) || {}).range;
    const [w0, w1] = Array.isArray(wanted) && wanted.length === 2
      ? [Math.min(...wanted), Math.max(...wanted)] : [-Infinity, Infinity];
    const xs = data[i].x || [], ys = data[i].y || [];
    let d = '';
    for (let k = 0; k < ys.length; k++) {
      const x = xs[k], y = ys[k];
      if (x === null || y === null || x === undefined || y === undefined) {
        if (d) return false;  // a gap inside the line: plotly draws it as several lines
        continue;             // (before its first point, the line starts later)
      }
      if (x < x0 || x > x1 || ((y < y0 || y > y1) && y >= w0 && y <= w1)) return false;
      d += (d ? 'L' : 'M') + xa.c2p(x).toFixed(2) + ',' + ya.c2p(y).toFixed(2);
    }
    paths.push([lines[0], d]);
  }
  for (const [path, d] of paths) path.setAttribute('d', d);
  return true;
}

// Give the browser a turn: a click or key press waiting behind a frame is handled before the next
// chart is drawn (a frame of many charts drawn in one task kept clicks waiting for seconds on a
// busy machine).
function yieldToInput() {
  const s = globalThis.scheduler;
  return s && typeof s.yield === 'function' ? s.yield() : new Promise((resolve) => setTimeout(resolve, 0));
}

// Draw a chart's newest figure. While one draw runs, newer figures replace each other, so a
// slow browser skips frames instead of queueing them.
async function draw(el, Plotly) {
  if (el.__busy) return;
  el.__busy = true;
  try {
    while (el.__latest) {
      await yieldToInput();
      if (!el.__latest) break;
      const next = el.__latest;
      const { figure, hold, extend, fit } = next;
      el.__latest = null;
      if (figure === el.__source && el.__figure) continue;  // unchanged: nothing to draw
      const fig = share(el.__figure, parseFigure(el, figure));
      // `extend`: the new points on the lines as drawn. el.__figure stays what plotly drew (its
      // hover values) and el.__drawn is what the lines show, until a whole draw: when the lines
      // leave their axes, the layout changes in more than its axes' ranges (a best-epoch marker that
      // moved), training stops, or the pointer comes over the chart (watchPointer then draws
      // el.__extended, the figure behind the lines, whole).
      if (extend && !el.__pointer && el.__figure && sameTraces(el.__figure.data, fig.data)) {
        const same = sameLayout(el.__figure.layout, fig.layout);
        const grown = !same && rangeUpdate(el.__figure.layout, fig.layout);
        // An axis at a time: plotly took 7 ms for each range alone, 35 ms for x and y at once
        // (16 lines). It keeps the layout it was given: el.__figure's ranges are updated too.
        for (const [key, range] of Object.entries(grown || {})) await Plotly.relayout(el, { [key]: range });
        if ((same || grown) && extendLines(el, fig.data, fig.layout)) {
          el.__source = null;
          el.__drawn = fig.data;
          el.__extended = next;
          continue;
        }
      }
      el.__extended = null;
      // `hold`: keep the traces already drawn (their hover values) and take only the layout's
      // images and shapes, which plotly redraws without recomputing the chart. What is drawn
      // then is not `figure`, so the same figure sent again (say, once paused) is drawn in full.
      const held = hold && el.__figure && sameTraces(el.__figure.data, fig.data);
      if (held) fig.data = el.__figure.data;
      el.__source = held ? null : figure;
      if (fit && fig.layout) {
        const byWidth = (el.offsetWidth || 400) * fit.aspect;
        const height = Math.round(Math.max(fit.min, Math.min(byWidth, window.innerHeight - fit.reserve)));
        if (fig.layout.height !== height) fig.layout = { ...fig.layout, height };
      }
      // A chart whose only changes are its pictures, links and title: relayout those, on the
      // SVG where it can (relayoutInPlace), where Plotly.react diffed and redrew the whole chart
      // (5-8 ms, four outputs a frame in a compare). Plotly keeps the layout it was given, so the
      // relayout updates el.__figure's too. Held, its traces are kept; not held, they may differ
      // in hover values alone (hoverInPlace), set in place too.
      const sized = new Set(['height', 'width'].filter((k) => el.__size && fig.layout && fig.layout[k] === el.__size[k]));
      const update = el.__figure && sameTraces(el.__figure.data, fig.data)
        ? relayoutUpdate(el.__figure.layout, fig.layout, sized) : null;
      if (update && held) {
        if (Object.keys(update).length && !relayoutInPlace(el, update)) await Plotly.relayout(el, update);
        continue;
      }
      const hover = update && hoverInPlace(el, el.__figure.data, fig.data);
      if (hover && (!Object.keys(update).length || relayoutInPlace(el, update))) {
        for (const op of hover) op();
        el.__source = figure;
        el.__drawn = el.__figure.data;
        continue;
      }
      el.__figure = fig;
      el.__drawn = fig.data;
      el.__size = { height: fig.layout && fig.layout.height, width: fig.layout && fig.layout.width };
      await Plotly.react(el, fig.data || [], fig.layout || {}, el.__config);
    }
  } catch (error) {
    el.textContent = 'Chart could not be drawn: ' + error.message;
  } finally {
    el.__busy = false;
  }
}

// Hover values are read from what plotly drew: over a chart whose lines were extended since
// (el.__extended), the figure they show is drawn whole first, and while the pointer stays there
// every frame is (so a hover label is of the latest frame). Extending alone saved a whole draw of
// the curves once a second while training (the frames between had extended them already).
function watchPointer(el, Plotly) {
  el.addEventListener('pointerenter', () => {
    el.__pointer = true;
    if (el.__extended && !el.__latest) {
      el.__latest = { ...el.__extended, extend: false };
      draw(el, Plotly);
    }
  });
  el.addEventListener('pointerleave', () => { el.__pointer = false; });
}

function chartCell(root, name) {
  root.__charts = root.__charts || {};
  let cell = root.__charts[name];
  if (!cell) {
    cell = document.createElement('div');
    cell.className = 'pg-chart';
    cell.dataset.chart = name;
    const plot = document.createElement('div');
    plot.className = 'pg-plot';
    cell.appendChild(plot);
    root.__charts[name] = cell;
  }
  return cell;
}

function item(root, spec) {
  if (typeof spec === 'string') return chartCell(root, spec);
  const div = document.createElement('div');
  if (spec.caption !== undefined) {
    div.className = 'pg-caption';
    div.textContent = spec.caption;
  } else if (spec.note !== undefined) {
    div.className = 'pg-note';
    div.textContent = spec.note;
  } else if (spec.toggles) {
    div.className = 'pg-toggles';
    for (const t of spec.toggles) {
      const label = document.createElement('label');
      const input = document.createElement('input');
      input.type = 'checkbox';
      input.checked = !!t.value;
      input.disabled = !!t.disabled;
      input.dataset.toggle = t.name;
      input.addEventListener('change', () => root.__send({ kind: 'toggle', name: t.name, value: input.checked }));
      label.append(input, document.createTextNode(' ' + t.label));
      div.appendChild(label);
    }
  } else if (spec.button) {
    div.className = 'pg-buttons';
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = spec.button.label;
    button.dataset.button = spec.button.name;
    button.addEventListener('click', () => root.__send({ kind: 'button', name: spec.button.name }));
    div.appendChild(button);
  } else if (spec.tabs) {
    div.className = 'pg-tabs';
    div.setAttribute('role', 'tablist');
    for (const t of spec.tabs) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = t.label;
      button.dataset.tab = t.name;
      button.setAttribute('role', 'tab');
      button.setAttribute('aria-selected', t.active ? 'true' : 'false');
      if (!t.active) button.addEventListener('click', () => root.__send({ kind: 'tab', name: t.name }));
      div.appendChild(button);
    }
  } else if (spec.builder) {
    // Reused while unchanged: a board rebuilt for another reason (a new warning) must not
    // replace a <select> the user has open, or its change would be lost.
    const key = JSON.stringify(spec.builder);
    if (root.__builder && root.__builderKey === key) return root.__builder;
    root.__builderKey = key;
    return builderPanel(root, spec.builder);
  }
  return div;
}

function el(tag, props, children) {
  const node = document.createElement(tag);
  Object.assign(node, props || {});
  for (const child of children || []) node.append(child);
  return node;
}

// The network builder drawn on the diagram (TensorFlow Playground's +/- controls): +/- layer
// above, and over each hidden column +/- neurons, its activation and its options. Each event
// carries the value it was drawn with, so one that arrives twice changes the network once.
function builderPanel(root, b) {
  const send = (event) => root.__send({ kind: 'builder', ...event });
  const panel = el('div', { className: 'pg-builder' });
  const top = el('div', { className: 'pg-builder-top' }, [
    el('button', { type: 'button', className: 'pg-round', textContent: '+', title: 'Add a hidden layer',
                   disabled: b.layers >= b.max_layers, onclick: () => send({ action: 'add_layer', drawn: b.layers }) }),
    el('button', { type: 'button', className: 'pg-round', textContent: '−', title: 'Remove the last hidden layer',
                   disabled: b.layers === 0, onclick: () => send({ action: 'remove_layer', drawn: b.layers }) }),
    el('span', { className: 'pg-builder-count', textContent: `${b.layers} hidden layer${b.layers === 1 ? '' : 's'}` }),
  ]);
  top.dataset.builder = 'layers';
  const cols = el('div', { className: 'pg-builder-cols' });
  for (const c of b.columns) {
    const units = el('span', { className: 'pg-units', textContent: String(c.units) });
    const act = el('select', { title: 'Activation of this layer' });
    for (const name of b.activations) act.append(el('option', { value: name, textContent: name, selected: name === c.activation }));
    act.onchange = () => send({ action: 'activation', layer: c.layer, value: act.value });
    const drop = el('select', { title: 'Dropout after the activation' });
    for (const v of b.dropouts) drop.append(el('option', { value: String(v), textContent: v ? `dropout ${v}` : 'no dropout', selected: v === c.dropout }));
    drop.onchange = () => send({ action: 'option', layer: c.layer, name: 'dropout', value: Number(drop.value) });
    const check = (name, label, value, title) => {
      const input = el('input', { type: 'checkbox', checked: !!value });
      input.onchange = () => send({ action: 'option', layer: c.layer, name, value: input.checked });
      return el('label', { title }, [input, ' ' + label]);
    };
    const options = el('details', { className: 'pg-options' }, [
      el('summary', { textContent: 'options', title: 'Dropout, batch norm, skip connection, move, remove' }),
      el('div', { className: 'pg-options-body' }, [
        drop,
        check('batch_norm', 'batch norm', c.batch_norm, 'Normalise the pre-activations over each mini-batch'),
        check('residual', 'skip connection', c.residual, "Add the layer's input to its output (needs equal widths)"),
        el('div', { className: 'pg-options-row' }, [
          el('button', { type: 'button', textContent: '←', title: 'Move earlier', disabled: c.first,
                         onclick: () => send({ action: 'move', layer: c.layer, delta: -1 }) }),
          el('button', { type: 'button', textContent: '→', title: 'Move later', disabled: c.last,
                         onclick: () => send({ action: 'move', layer: c.layer, delta: 1 }) }),
          el('button', { type: 'button', textContent: '✕', title: 'Remove this layer',
                         onclick: () => send({ action: 'remove_layer', layer: c.layer, drawn: b.layers }) }),
        ]),
      ]),
    ]);
    // +/- show the new width at once; the diagram follows when the server has rebuilt the model.
    const bump = (delta) => () => {
      const target = Math.max(1, Math.min(b.max_units, c.units + delta));
      if (target === c.units) return;
      units.textContent = String(target);
      send({ action: 'units', layer: c.layer, value: target });
    };
    const column = el('div', { className: 'pg-bcol' }, [
      el('div', { className: 'pg-bcol-row' }, [
        el('button', { type: 'button', className: 'pg-round', textContent: '−', title: 'One neuron fewer',
                       disabled: c.units <= 1, onclick: bump(-1) }),
        units,
        el('button', { type: 'button', className: 'pg-round', textContent: '+', title: 'One neuron more',
                       disabled: c.units >= b.max_units, onclick: bump(1) }),
      ]),
      act, options,
    ]);
    column.dataset.col = String(c.col);
    column.dataset.layer = String(c.layer);
    cols.append(column);
  }
  panel.append(top, cols);
  panel.__columns = b.n_columns;
  root.__builder = panel;
  placeBuilder(root);
  return panel;
}

// Put each column's controls over its column of the diagram (positions from plotly's axis).
function placeBuilder(root) {
  const panel = root.__builder;
  const cell = root.__charts && root.__charts.network_chart;
  if (!panel || !cell) return;
  const gd = cell.firstChild;
  const xa = gd && gd._fullLayout && gd._fullLayout.xaxis;
  const cols = panel.querySelector('.pg-builder-cols');
  // Columns closer than a full control get the compact one, never wider than the gap.
  const spacing = xa ? Math.abs(xa.l2p(1) - xa.l2p(0)) : cols.clientWidth / Math.max(1, panel.__columns);
  for (const node of cols.children) {
    const i = Number(node.dataset.col);
    const x = xa ? xa._offset + xa.l2p(i) : (i + 0.5) / panel.__columns * cols.clientWidth;
    node.style.left = x + 'px';
    node.style.maxWidth = Math.max(34, spacing - 6) + 'px';
    node.classList.toggle('pg-narrow', spacing < 96);
    node.classList.toggle('pg-tiny', spacing < 62);  // many layers: −/n/+ stacked, the rest in Layer details
  }
}

// (Re)build the board's rows and columns; chart cells (and the plots in them) are reused.
function build(root, layout) {
  const fragment = document.createDocumentFragment();
  const used = new Set();
  for (const row of layout) {
    if (typeof row === 'string') {
      const heading = document.createElement('div');
      heading.className = 'pg-heading';
      heading.textContent = row;
      fragment.appendChild(heading);
      continue;
    }
    const line = document.createElement('div');
    line.className = 'pg-row';
    for (const [width, items] of row) {
      const column = document.createElement('div');
      column.className = 'pg-col';
      column.style.flex = width + ' 1 0';
      for (const spec of items) {
        if (typeof spec === 'string') used.add(spec);
        column.appendChild(item(root, spec));
      }
      line.appendChild(column);
    }
    fragment.appendChild(line);
  }
  root.replaceChildren(fragment);
  for (const name of Object.keys(root.__charts || {})) {
    if (!used.has(name)) {
      const plot = root.__charts[name].firstChild;
      if (window.Plotly) window.Plotly.purge(plot);
      delete root.__charts[name];
    }
  }
}

// The metrics row (and progress bar) over the board. Rebuilt only when the labels change; each
// frame then sets the values' text, which costs the page no re-render.
function metricsRow(parent, metrics, progress) {
  const row = parent.querySelector('.pg-metrics');
  const key = JSON.stringify([metrics.map((m) => m.label), !!progress]);
  if (row.__key !== key) {
    row.__key = key;
    row.replaceChildren(...metrics.map((m) => {
      const box = el('div', { className: 'pg-metric' }, [
        el('div', { className: 'pg-metric-label', textContent: m.label }),
        el('div', { className: 'pg-metric-value' })]);
      box.dataset.metric = m.label;
      return box;
    }));
    if (progress) row.append(el('div', { className: 'pg-progress' }, [el('div', { className: 'pg-progress-text' }),
      el('div', { className: 'pg-progress-bar' }, [el('div')])]));
  }
  metrics.forEach((m, i) => {
    const box = row.children[i], value = box.lastChild;
    if (value.textContent !== m.value) value.textContent = m.value;
    if (box.title !== (m.help || '')) box.title = m.help || '';
  });
  if (progress) {
    const box = row.querySelector('.pg-progress');
    if (box.firstChild.textContent !== progress.text) box.firstChild.textContent = progress.text;
    box.lastChild.firstChild.style.width = (100 * Math.max(0, Math.min(1, progress.value))).toFixed(1) + '%';
  }
}

// The table under the charts ({column: [cell per row]}): rebuilt only when its columns change,
// its cells' text set in place (a compare's figures change with every frame).
function tableRow(parent, table) {
  const box = parent.querySelector('.pg-table');
  const columns = Object.keys(table || {});
  const rows = columns.length ? table[columns[0]].length : 0;
  const key = JSON.stringify([columns, rows]);
  if (box.__key !== key) {
    box.__key = key;
    box.replaceChildren(...(columns.length ? [el('table', {}, [
      el('thead', {}, [el('tr', {}, columns.map((c) => el('th', { textContent: c })))]),
      el('tbody', {}, Array.from({ length: rows }, () => el('tr', {}, columns.map(() => el('td')))))])] : []));
  }
  const body = box.querySelector('tbody');
  if (!body) return;
  columns.forEach((c, j) => table[c].forEach((text, i) => {
    const cell = body.children[i].children[j];
    if (cell.textContent !== String(text)) cell.textContent = String(text);
  }));
}

// One frame of board data, from Streamlit (a rerun of the live views) or from the feed. A frame
// older than the one drawn is dropped: Streamlit may hand the component its last data again
// after the feed has drawn newer frames.
function render(parentElement, root, data) {
  if (typeof data.seq === 'number') {
    if (typeof root.__seq === 'number' && data.seq < root.__seq) return;
    root.__seq = data.seq;
  }
  metricsRow(parentElement, data.metrics || [], data.progress);
  tableRow(parentElement, data.table);
  // The experiment's link: changes made in the live views do not reach the address bar otherwise.
  if (typeof data.query === 'string' && window.location.search !== '?' + data.query) {
    window.history.replaceState(window.history.state, '', window.location.pathname + '?' + data.query + window.location.hash);
  }
  const layoutKey = JSON.stringify(data.layout);
  if (root.__layoutKey !== layoutKey) {
    build(root, data.layout);
    root.__layoutKey = layoutKey;
  }
  loadPlotly(data.src).then((Plotly) => {
    for (const [name, chart] of Object.entries(data.charts)) {
      const cell = root.__charts && root.__charts[name];
      if (!cell) continue;
      const plot = cell.firstChild;
      plot.__latest = chart;
      plot.__config = data.config;
      if (!plot.__ready) {
        plot.__ready = true;
        watchPointer(plot, Plotly);
        // Plotly's own `responsive` adds a window listener per chart that outlives the chart;
        // an observer on the element goes away with it.
        new ResizeObserver(() => {
          // Only a plot on screen can be resized (a board being rebuilt briefly detaches it).
          if (plot._fullLayout && plot.isConnected && plot.offsetWidth > 0) {
            Promise.resolve(Plotly.Plots.resize(plot)).then(() => { if (name === 'network_chart') placeBuilder(root); })
              .catch(() => {});
          }
        }).observe(plot);
      }
      draw(plot, Plotly).then(() => {
        if (name === 'network_chart') placeBuilder(root);
        if (plot.on && !plot.__clicks) {
          plot.__clicks = true;
          plot.on('plotly_click', (event) => root.__send({ kind: 'click', chart: name, points: pointsOf(event) }));
        }
      });
    }
  }).catch((error) => {
    root.textContent = 'The live charts could not be drawn: ' + error.message;
  });
}

// While training plays, the server names a feed (data.feed, playground/ui/feed.py): the board
// fetches each frame from it, one request at a time, every `every` ms, instead of waiting for a
// rerun of the live views (which re-rendered the whole page in React every frame). A feed that
// answers "stale" (training stopped, an error to show) or fails hands over to Streamlit: the
// board sends an event, and the rerun it causes draws the page as it is.
function follow(parentElement, root, feed) {
  const url = feed && feed.url;
  if (root.__feedUrl === url) return;
  root.__feedUrl = url;
  const generation = root.__feedGeneration = (root.__feedGeneration || 0) + 1;
  if (!url) return;
  const every = feed.every || 250;
  const live = () => root.__feedGeneration === generation && root.isConnected;
  // Each request is due `every` ms after the previous one was due, not after it went: timing
  // each from when the last one went added every timer's lateness (3.9 frames a second, not 4).
  // A request that is late (a slow answer) goes at once, the next a whole period later.
  let due = performance.now() + every;
  const tick = async () => {
    if (!live()) return;
    let next;
    try {
      const response = await fetch(url, { cache: 'no-store' });
      next = response.ok ? await response.json() : { stale: true };
    } catch (error) {
      next = { stale: true };
    }
    if (!live()) return;
    if (next.stale) {
      root.__feedUrl = null;
      root.__send({ kind: 'feed', name: 'stale' });
      return;
    }
    if (!next.busy) render(parentElement, root, next);  // busy: a rerun is drawing this moment's frame
    due = Math.max(due + every, performance.now());
    setTimeout(tick, due - performance.now());
  };
  setTimeout(tick, every);
}

export default function (component) {
  const { parentElement, data, setTriggerValue } = component;
  const root = parentElement.querySelector('.pg-board');
  root.__send = (event) => setTriggerValue('event', event);
  render(parentElement, root, data);
  follow(parentElement, root, data.feed);
}
