"""A small drawing canvas (Streamlit components v2, inline JS): draw a digit, get its pixels.

The stroke is white on black like the image sets; the browser scales the drawing down to the
model's input size (with smoothing) and sends the grey levels in [0, 1] back to Python.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

HTML = """
<div class="pad">
  <canvas width="196" height="196" aria-label="drawing canvas"></canvas>
  <button type="button">Clear</button>
</div>
"""
CSS = """
.pad { display: flex; flex-direction: column; gap: 6px; align-items: flex-start; }
canvas { width: 140px; height: 140px; background: #000; border-radius: 4px; touch-action: none; cursor: crosshair; }
button { font: inherit; font-size: 0.85rem; padding: 2px 10px; border-radius: 6px; border: 1px solid #ccc;
         background: #fff; cursor: pointer; }
"""
JS = """
export default function(component) {
  const { parentElement, data, setStateValue } = component;
  const canvas = parentElement.querySelector('canvas');
  const ctx = canvas.getContext('2d');
  canvas.__size = [data.width, data.height];
  if (canvas.dataset.ready) return;
  canvas.dataset.ready = '1';
  const clear = () => { ctx.fillStyle = 'black'; ctx.fillRect(0, 0, canvas.width, canvas.height); };
  clear();
  let drawing = false;
  const pos = (e) => {
    const r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
  };
  const send = () => {
    const [w, h] = canvas.__size;
    const small = document.createElement('canvas');
    small.width = w; small.height = h;
    const s = small.getContext('2d');
    s.imageSmoothingEnabled = true; s.imageSmoothingQuality = 'high';
    s.drawImage(canvas, 0, 0, w, h);
    const px = s.getImageData(0, 0, w, h).data;
    const out = new Array(w * h);
    for (let i = 0; i < w * h; i++) out[i] = px[4 * i] / 255;
    setStateValue('pixels', out);
  };
  canvas.addEventListener('pointerdown', (e) => {
    drawing = true;
    canvas.setPointerCapture(e.pointerId);
    ctx.strokeStyle = 'white'; ctx.lineWidth = canvas.width / 9; ctx.lineCap = 'round'; ctx.lineJoin = 'round';
    const [x, y] = pos(e); ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(x + 0.1, y); ctx.stroke();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!drawing) return;
    const [x, y] = pos(e); ctx.lineTo(x, y); ctx.stroke();
  });
  const end = () => { if (drawing) { drawing = false; send(); } };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  parentElement.querySelector('button').addEventListener('click', () => { clear(); setStateValue('pixels', null); });
}
"""

_canvas = st.components.v2.component("playground_draw_canvas", html=HTML, css=CSS, js=JS)


def draw_canvas(height: int, width: int, key: str, on_change) -> np.ndarray | None:
    """Mount the canvas; returns the drawing as an (height, width) array in [0, 1], or None."""
    result = _canvas(data={"width": width, "height": height}, key=key, on_pixels_change=on_change)
    pixels = getattr(result, "pixels", None)
    if not pixels:
        return None
    return np.asarray(pixels, dtype=np.float32).reshape(height, width)
