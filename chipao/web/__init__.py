"""Web plumbing: server hooks, auth, session, cache, privacy reveal, language."""
