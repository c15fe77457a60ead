import pytest

from portevoix.connectors import catalogue
from portevoix.connectors.registry import all_connectors


@pytest.mark.parametrize("path", catalogue.DOCUMENTS, ids=lambda path: path.name)
def test_networks_table_matches_the_declarations(path):
    assert catalogue.current(path) == catalogue.for_document(path), (
        f"{path} is stale: run `python -m portevoix.connectors.catalogue --write`"
    )


def test_every_connector_has_a_user_guide():
    for connector in all_connectors():
        guide = catalogue.ROOT / "docs" / "networks" / f"{connector.key}.md"
        assert guide.exists(), f"write {guide.relative_to(catalogue.ROOT)}"
