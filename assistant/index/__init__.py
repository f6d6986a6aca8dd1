"""The index: what ingest writes and retrieval reads, owned here and nowhere else.

- ``records``: one typed record per stored passage and sentence, and their Chroma metadata.
- ``manifest``: a generation's table of contents.
- ``layout``: generations on disk (or on a Chroma server) and the atomic switch between them.
- ``reader`` / ``writer``: a published generation read; a new one written and published.
"""

from .layout import IndexLayout, require_index, write_atomic
from .manifest import CaseProfile, DocumentEntry, IndexManifest, SourceState
from .records import DocumentRecords, DocumentStatus, Passage, Sentence, content_hash

__all__ = ["CaseProfile", "DocumentEntry", "DocumentRecords", "DocumentStatus", "IndexLayout", "IndexManifest", "Passage",
           "Sentence", "SourceState", "content_hash", "require_index", "write_atomic"]
