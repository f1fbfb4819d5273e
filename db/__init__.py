"""Database engine, ORM models and Alembic migrations (SQLite embedded, PostgreSQL in production)."""
