"""The web inspector's page, stylesheet and script, shipped as they are (served by
mockplex/admin/inspector.py)."""
