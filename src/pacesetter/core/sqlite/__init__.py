"""Django's SQLite backend with a write gate (see base.py)."""
