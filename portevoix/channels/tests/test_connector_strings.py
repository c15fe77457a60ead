from portevoix.channels.connector_strings import STRINGS
from portevoix.connectors.registry import all_connectors


def test_every_declared_connector_string_is_marked_for_translation():
    declared = {
        text
        for connector in all_connectors()
        if connector.__module__.startswith("portevoix.connectors.")  # not the tests' fake networks
        for field in connector.auth.fields
        for text in (field.label, field.help)
        if text
    }
    missing = sorted(declared - STRINGS)
    assert not missing, f"add these to portevoix/channels/connector_strings.py: {missing}"
