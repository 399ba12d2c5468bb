function loadPlotly(src) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__playgroundPlotly) {
    window.__playgroundPlotly = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = src;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => { window.__playgroundPlotly = null; reject(new Error('could not load ' + src)); };
      document.head.appendChild(script);
    });
  }
  return window.__playgroundPlotly;
}

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

function isSpec(v) {
  return v && typeof v === 'object' && typeof v.bdata === 'string' && DTYPES[v.dtype] !== undefined;
}

// Structural sharing: return `prev` wherever `next` holds the same values. Plotly.react treats
// arrays as changed when their identity changes (and then recomputes and redraws the whole
// chart), so unchanged data keeps its old arrays and only what really changed is redrawn.
function share(prev, next) {
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

// Draw a chart's newest figure. While one draw runs, newer figures replace each other, so a
// slow browser skips frames instead of queueing them.
async function draw(el, Plotly) {
  if (el.__busy) return;
  el.__busy = true;
  try {
    while (el.__latest) {
      const { figure, hold } = el.__latest;
      el.__latest = null;
      if (figure === el.__source && el.__figure) continue;  // unchanged: nothing to draw
      const fig = share(el.__figure, JSON.parse(figure));
      // `hold`: keep the traces already drawn (their hover values) and take only the layout's
      // images and shapes, which plotly redraws without recomputing the chart. What is drawn
      // then is not `figure`, so the same figure sent again (say, once paused) is drawn in full.
      const held = hold && el.__figure && sameTraces(el.__figure.data, fig.data);
      if (held) fig.data = el.__figure.data;
      el.__source = held ? null : figure;
      el.__figure = fig;
      await Plotly.react(el, fig.data || [], fig.layout || {}, el.__config);
    }
  } catch (error) {
    el.textContent = 'Chart could not be drawn: ' + error.message;
  } finally {
    el.__busy = false;
  }
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
  }
  return div;
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

export default function (component) {
  const { parentElement, data, setTriggerValue } = component;
  const root = parentElement.querySelector('.pg-board');
  root.__send = (event) => setTriggerValue('event', event);
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
        // Plotly's own `responsive` adds a window listener per chart that outlives the chart;
        // an observer on the element goes away with it.
        new ResizeObserver(() => {
          // Only a plot on screen can be resized (a board being rebuilt briefly detaches it).
          if (plot._fullLayout && plot.isConnected && plot.offsetWidth > 0) {
            Promise.resolve(Plotly.Plots.resize(plot)).catch(() => {});
          }
        }).observe(plot);
      }
      draw(plot, Plotly).then(() => {
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
