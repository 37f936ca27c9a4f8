from ingest.history import link_trailers, subject


def test_link_trailers_come_from_the_last_paragraph_in_order() -> None:
    message = (
        "xfs: use memalloc_nofs_save\n\nSee Link: https://not-a-trailer.example in the body.\n\n"
        "Link: https://lore.kernel.org/r/1\nSigned-off-by: A <a@example.invalid>\nlink: https://lore.kernel.org/r/2\n"
    )
    assert link_trailers(message) == ["https://lore.kernel.org/r/1", "https://lore.kernel.org/r/2"]


def test_a_subject_alone_has_no_trailers() -> None:
    assert link_trailers("Link: https://example.invalid/subject-only\n") == []
    assert link_trailers("") == []


def test_subject_is_the_first_paragraph_on_one_line() -> None:
    assert subject("Merge tag 'for-6.8'\n of git://example\n\nbody\n") == "Merge tag 'for-6.8' of git://example"
    assert subject("\n\n") == ""
