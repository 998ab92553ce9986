import pytest

from docs_index import DocsIndex


@pytest.fixture(scope="session")
def docs_index(tmp_path_factory):
    """The real index (project corpus, this machine's CUDA headers and Triton docstrings)."""
    return DocsIndex.open(tmp_path_factory.mktemp("docs_index"))
