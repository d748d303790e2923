"""The database: the engine and short per-request sessions, the pg8000 driver, dialect helpers."""
