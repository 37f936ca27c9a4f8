from app.versions import parse_tag, sort_key


def key(tag: str) -> str:
    version = parse_tag(tag)
    assert version is not None
    return sort_key(version)


def test_sort_key_orders_like_versions_not_like_names_or_dates() -> None:
    tags = ["v4.9", "v4.10-rc1", "v4.10", "v4.10.1", "v4.12", "v6.1.9", "v6.1.10", "v6.1.170", "v6.12.107"]
    assert sorted(tags, key=key) == tags
    assert sorted(tags) != tags  # the names alone would not do


def test_not_a_version() -> None:
    assert parse_tag("v2.6.11-tree") is None
