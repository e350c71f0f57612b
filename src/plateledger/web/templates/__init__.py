"""Jinja2 templates of the web UI."""
