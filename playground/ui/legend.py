"""The header and the short explanation of what the colours and views mean."""
from __future__ import annotations

import streamlit as st


def render_legend() -> None:
    """What the colours mean, as TensorFlow Playground explains under its output."""
    with st.expander("What am I looking at?", expanded=False):
        st.markdown(
            "- **Colours.** Orange is negative (class 0), blue is positive (class 1), white is zero. "
            "Points are the data; the background is the network's prediction at every position.\n"
            "- **Neurons.** Each square in the network shows that neuron's activation over the whole input "
            "plane: you can see it carve the plane into regions. Click one to enlarge it.\n"
            "- **Links.** Blue links are positive weights, orange negative; the thicker, the larger |w|.\n"
            "- **Gradient flow.** ‖∂L/∂W‖₂ of each layer's weights at the latest step, on a log scale, and its "
            "history as a layers × time heatmap. A layer 1000× below the largest has a *vanishing* gradient "
            "(try ReLU, Xavier/Kaiming init, batch norm or skip connections); above 1000 it *explodes* "
            "(lower the learning rate or clip gradients).\n"
            "- **Activation health.** *Dead* units (ReLU-like, never positive on the data) no longer learn; "
            "*saturated* units (tanh/sigmoid stuck near their bounds for 90 % of inputs) pass almost no gradient.\n"
            "- **Loss curves.** Train (solid) and test (dashed): a widening gap is over-fitting; both high is "
            "under-fitting.")
