"""Plotly views for Neural Playground: pure functions from NumPy arrays / plain
Python to `plotly.graph_objects.Figure` (or PNG data URIs). No streamlit, no torch.
"""

from .activations import activation_stats
from .boundary import curve_fit, decision_boundary
from .colors import (BLUE, DIVERGING, ORANGE, QUALITATIVE, WHITE, class_colors,
                     png_data_uri, to_rgb_image)
from .curves import loss_curves, overlay_curves, run_colors
from .gradients import (activation_gradient_bars, flag_gradients, gradient_bars, gradient_heatmap,
                        gradient_overlay)
from .images import (attribution_overlay, confusion_matrix, dense_activations,
                     feature_maps, filters, image_grid, misclassified_gallery)
from .network import network_diagram, neuron_map
from .thumbnails import dataset_thumbnail, map_thumbnail

__all__ = [
    "BLUE", "DIVERGING", "ORANGE", "QUALITATIVE", "WHITE", "class_colors",
    "png_data_uri", "to_rgb_image",
    "decision_boundary", "curve_fit",
    "network_diagram", "neuron_map",
    "loss_curves", "overlay_curves", "run_colors",
    "gradient_bars", "gradient_heatmap", "flag_gradients", "activation_gradient_bars",
    "gradient_overlay",
    "activation_stats",
    "image_grid", "feature_maps", "filters", "dense_activations",
    "attribution_overlay", "confusion_matrix", "misclassified_gallery",
    "dataset_thumbnail", "map_thumbnail",
]
