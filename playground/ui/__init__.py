"""The Streamlit front end (the only Streamlit code besides app.py): one module per control group or view."""
