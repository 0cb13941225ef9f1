"""Storage: schema, engines, units of work, queries and migrations."""
