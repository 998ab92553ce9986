"""Retrieval of hardware-manual sections for reflection: sources -> sections -> BM25 index -> hits.

``DocsIndex.open()`` gives the persisted index (rebuilt when a source changed);
``ManualRetriever`` turns the minibatch's harness feedback into the sections reflection reads.
"""
from docs_index.index import DocsIndex, Hit, add_user_docs, default_index_dir
from docs_index.retriever import BACKEND_AREAS, ManualRetriever, feedback_query
from docs_index.sections import DocumentError, Section, document_sections

__all__ = ["DocsIndex", "Hit", "Section", "DocumentError", "ManualRetriever", "BACKEND_AREAS",
           "feedback_query", "document_sections", "add_user_docs", "default_index_dir"]
