"""Ingest: turn the corpus and its cited sources into the index the assistant reads."""
