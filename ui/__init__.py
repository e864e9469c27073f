"""Streamlit helpers shared by the pages (the library, cnnviz/, never imports streamlit)."""
