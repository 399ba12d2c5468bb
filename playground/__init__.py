"""Neural Playground engine: spec -> model -> trainer -> probes, with no Streamlit in it.

The same engine runs from the Streamlit app (`app.py`, `playground/ui/`), the CLI
(`python -m playground`), notebooks and the tests.
"""
