"""Image data views (CNNs): sample gallery and the live convnet views. Filled in by the image issue."""
from __future__ import annotations

import streamlit as st

from playground.live import LiveRunner


def render_gallery() -> None:
    """Samples per class (placeholder until the image views land)."""


def render_image_live(runner: LiveRunner) -> None:
    """Live views for image data."""
    st.info("Image views are coming.")
