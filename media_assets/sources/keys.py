"""API keys as users paste them: trimmed, and refused when no HTTP header could carry them."""


class UnusableKey(ValueError):
    """A key with spaces, line breaks or other characters a header cannot hold; never quotes it."""


def usable_key(key: str, source: str) -> str:
    """The key without surrounding whitespace (a trailing newline is a common copy-paste slip).

    requests would refuse anything else with an error that quotes the header, key included.
    """
    trimmed = key.strip()
    if not trimmed or not all("!" <= char <= "~" for char in trimmed):
        raise UnusableKey(
            f"[sources.{source}] api_key is empty or holds spaces, line breaks or other characters "
            "an HTTP header cannot carry. Copy the key again into .dlt/secrets.toml, or into "
            f"SOURCES__{source.upper()}__API_KEY."
        )
    return trimmed
