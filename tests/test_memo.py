"""memo.cached_for_short_texts: a short text is worked out once; a long one, which a
client could vary without end, every time and never kept."""

from __future__ import annotations

from mockplex.memo import SHORT_TEXT, cached_for_short_texts


def test_short_texts_are_worked_out_once_and_long_ones_every_time():
    seen: list[str] = []

    @cached_for_short_texts(8)
    def upper(text: str) -> str:
        seen.append(text)
        return text.upper()

    short, long = "a" * SHORT_TEXT, "b" * (SHORT_TEXT + 1)
    assert [upper(short), upper(short), upper(long), upper(long)] == [short.upper(), short.upper(),
                                                                       long.upper(), long.upper()]
    assert seen == [short, long, long]
