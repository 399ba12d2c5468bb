"""Build the network by clicking: add, remove and reorder layers; units, activation, options.

The edits themselves (`add_layer`, `remove_layer`, `move_layer`, `set_units`...) are shared by
the two ways to make them: the controls drawn on the network diagram (2-D data, see
live_view.py) and the layer cards here, which image networks need (conv kernels, strides) and
which 2-D networks show under "Layer details". Each card has its shape and parameter count.
"""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

from playground.experiment import Experiment
from playground.layers import KINDS, LAYER_TYPES, Field, infer_shapes
from playground.spec import MAX_LAYERS, MAX_UNITS, LayerSpec, SpecError, new_layer
from playground.ui.controls import layer_changed, layer_key, set_layers
from playground.ui.state import flash, ss

CARD_WIDTH = 132  # px; the cards wrap onto more rows in a narrow window
SEQUENCE_KINDS = ("rnn", "lstm", "gru", "embedding")  # read a sequence step by step (before any dense layer)


def add_layer(exp: Experiment, drawn_with: int, kind: str | None = None) -> None:
    """Add a layer of `kind` (the builder's type picker by default); `drawn_with` guards doubled clicks."""
    spec = exp.spec
    if len(spec.layers) != drawn_with:
        return  # the same click arriving twice (a live frame reran meanwhile): add one layer, not two
    if len(spec.layers) >= MAX_LAYERS:
        flash("warning", f"The playground allows at most {MAX_LAYERS} hidden layers.")
        return
    kind = kind or ss.get(exp.key("new_layer_type"), "dense")
    # A new dense layer copies the last one's width and activation (TensorFlow Playground's +).
    last = next((l for l in reversed(spec.layers) if l.type == kind), None) if kind == "dense" else None
    template = replace(last, residual=False) if last is not None else new_layer(kind)
    layers = list(spec.layers)
    if KINDS[kind].needs_image or kind in SEQUENCE_KINDS:
        # Image and sequence layers go before the first flat layer, where the data still has a shape.
        at = next((i for i, l in enumerate(layers) if KINDS[l.type].needs_flat or l.type == "flatten"), len(layers))
        layers.insert(at, template)
    else:
        layers.append(template)
    set_layers(exp, layers)


def remove_layer(exp: Experiment, i: int | None = None, drawn_with: int | None = None) -> None:
    """Remove layer i (the last one if None); a doubled click removes one layer, not two."""
    layers = list(exp.spec.layers)
    if not layers or (drawn_with is not None and len(layers) != drawn_with):
        return
    layers.pop(len(layers) - 1 if i is None else i)
    set_layers(exp, layers)


def move_layer(exp: Experiment, i: int, delta: int) -> None:
    """Swap layer i with its neighbour delta (-1 earlier, +1 later)."""
    layers = list(exp.spec.layers)
    j = i + delta
    if 0 <= j < len(layers):
        layers[i], layers[j] = layers[j], layers[i]
        set_layers(exp, layers)


def change_layer(exp: Experiment, i: int, **changes) -> bool:
    """Change fields of layer i (units, activation, dropout, ...); refused changes keep the network."""
    layers = list(exp.spec.layers)
    if not 0 <= i < len(layers):
        return False
    if "units" in changes:
        changes["units"] = max(1, min(MAX_UNITS, int(changes["units"])))
    layers[i] = replace(layers[i], **changes)
    return set_layers(exp, layers)


def _field_widget(exp: Experiment, i: int, f: Field) -> None:
    """One layer field as its widget; the range is the registry's, so every value it can
    take is one the spec accepts (and a link can hold no value the widget refuses)."""
    common = dict(key=layer_key(exp, i, f.name), on_change=layer_changed, args=(exp, i, f.name),
                  help=f.help or None)
    if f.type == "int":
        st.number_input(f.label, min_value=int(f.lo), max_value=int(f.hi), step=int(f.step or 1), **common)
    elif f.type == "float":
        st.slider(f.label, min_value=float(f.lo), max_value=float(f.hi), step=float(f.step or 0.05), **common)
    elif f.type == "bool":
        st.checkbox(f.label, **common)
    else:
        st.selectbox(f.label, list(f.options), **common)


def _layer_card(exp: Experiment, row, i: int, layer: LayerSpec, shape_text: str) -> None:
    kind = KINDS[layer.type]
    with row.container(border=True, key=exp.key(f"layer_card_{i}"), width=CARD_WIDTH):
        st.markdown(f"**{i + 1}. {kind.title}**  \n<small>{shape_text}</small>", unsafe_allow_html=True)
        for f in kind.fields:
            if f.placement == "card":
                _field_widget(exp, i, f)
        with st.popover("Options", width="stretch"):
            for f in kind.fields:
                if f.placement == "options":
                    _field_widget(exp, i, f)
            c1, c2, c3 = st.columns(3)
            c1.button("←", key=exp.key(f"layer{i}_left"), on_click=move_layer, args=(exp, i, -1), help="Move earlier")
            c2.button("→", key=exp.key(f"layer{i}_right"), on_click=move_layer, args=(exp, i, 1), help="Move later")
            c3.button("✕", key=exp.key(f"layer{i}_remove"), on_click=remove_layer, args=(exp, i, len(exp.spec.layers)),
                      help="Remove this layer")


def _presets(exp: Experiment) -> dict:
    from playground.presets import IMAGE_PRESETS, SEQUENCE_PRESETS

    return SEQUENCE_PRESETS if exp.data.kind == "sequence" else IMAGE_PRESETS


def _preset_chosen(exp: Experiment) -> None:
    presets = _presets(exp)
    name = ss.get(exp.key("image_preset"))
    if name in presets:
        set_layers(exp, list(presets[name]))


def render_builder(exp: Experiment) -> None:
    """Draw the layer cards with the add / remove bar."""
    spec = exp.spec
    data = exp.data
    image = data.kind in ("image", "sequence")  # the cards are the builder there
    try:
        shapes = infer_shapes(spec.layers, data.input_shape, data.n_outputs, data.per_step)
    except SpecError as exc:  # should not happen: set_spec refuses such specs
        st.error(str(exc))
        shapes = []
    by_index = {s.index: s for s in shapes if s.index is not None}
    total = sum(s.params for s in shapes)
    # Wrapping flex rows (buttons as wide as their labels, cards of one fixed width): fixed
    # columns squeezed six cards and their labels ("Optio ns", "Remove l…") in a 1440-px window.
    bar = st.container(horizontal=True, vertical_alignment="bottom", gap="small")
    # 2-D cards add dense layers (a type picked on a sequence or image page must not linger).
    bar.button("Add layer", key=exp.key("add_layer"), on_click=add_layer,
               args=(exp, len(spec.layers), None if image else "dense"), icon=":material/add:", width="content")
    bar.button("Remove layer", key=exp.key("remove_layer"), on_click=remove_layer, args=(exp, None, len(spec.layers)),
               icon=":material/remove:", width="content", disabled=not spec.layers)
    if image:
        sequence = data.kind == "sequence"
        # Each problem offers the kinds that fit its data (no conv on sequences, no LSTM on images).
        types = [t for t in LAYER_TYPES if not (KINDS[t].needs_image and sequence)
                 and not (t in SEQUENCE_KINDS + ("last_step",) and not sequence)]
        if ss.get(exp.key("new_layer_type")) not in types:
            ss[exp.key("new_layer_type")] = "lstm" if sequence else "dense"
        bar.selectbox("New layer type", types, key=exp.key("new_layer_type"),
                      format_func=lambda t: KINDS[t].title, width=150)
        bar.selectbox("Start from a preset", list(_presets(exp)), index=None, key=exp.key("image_preset"),
                      placeholder="LSTM, GRU, RNN…" if sequence else "LeNet-like convnet or small MLP…",
                      on_change=_preset_chosen, args=(exp,), width=260)
    st.markdown(f"**{len(spec.layers)} hidden layer{'s' if len(spec.layers) != 1 else ''}** · "
                f"{total:,} parameters · input {'×'.join(map(str, data.input_shape))} → output {data.n_outputs}")
    row = st.container(horizontal=True, gap="small")
    for i, layer in enumerate(spec.layers):
        s = by_index.get(i)
        shape_text = (f"→ {'×'.join(map(str, s.out_shape))} · {s.params:,} params" if s else "")
        _layer_card(exp, row, i, layer, shape_text)
