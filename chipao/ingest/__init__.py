"""Importers: file -> validated domain data -> queries loaders."""
