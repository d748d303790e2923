"""Developer and CI tooling (not deployed)."""
