"""Storage: engine, ORM models, repositories, erasure and Alembic migrations (SQLite embedded,
PostgreSQL in production). Imports nothing above it but knowledge/."""

from pathlib import Path

# The local data folder (relative to the working directory): the embedded SQLite database and
# downloaded Siskohat exports. Here, not in bot/settings.py, so integration/ can name it too.
VAR_DIR = Path("var")
