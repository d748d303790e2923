"""Tasks: queries scoped to their owner, and the versioned-write service."""
