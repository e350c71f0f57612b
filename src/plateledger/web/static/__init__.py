"""Stylesheets and ES modules of the web UI, served under ``/static`` as they are."""
