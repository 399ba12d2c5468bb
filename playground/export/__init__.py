"""Taking a trained playground out: a runnable script or notebook, weights, ONNX, a film.

Each format is one entry of `FORMATS` (playground/export/formats.py); the CLI's `export`
command and the app's Export menu both read that table.
"""
