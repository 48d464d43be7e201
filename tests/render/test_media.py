"""The media budget (``--max-report-mb``) and the placeholders written one at a time."""

from __future__ import annotations

import io

import pytest

from tbreport.model import AudioClip, AudioPoint, EncodedImage, ImagePoint, Run, Series
from tbreport.render.media import MediaStore, plan, step_indices, uri_size


def _run(name: str, tags: dict[str, tuple[int, int]], audio: int = 0) -> Run:
    """A run whose image tags have ``(steps, bytes per image)``; ``audio`` clip steps."""
    images = {
        tag: Series(
            tag=tag,
            points=[
                ImagePoint(
                    step=10 * s, wall_time=0.0, images=(EncodedImage(b"\x89PNG" + b"x" * n),)
                )
                for s in range(steps)
            ],
        )
        for tag, (steps, n) in tags.items()
    }
    clips = [
        AudioPoint(step=s, wall_time=0.0, clips=(AudioClip(b"RIFF" + b"a" * 30_000),))
        for s in range(audio)
    ]
    return Run(
        name=name,
        path=name,
        images=images,
        audio={"speech": Series(tag="speech", points=clips)} if audio else {},
    )


def test_step_indices_are_even_and_keep_the_ends() -> None:
    assert step_indices(100, 5) == [0, 25, 50, 74, 99]
    assert step_indices(3, 10) == [0, 1, 2] and step_indices(7, None) == list(range(7))
    assert step_indices(9, 1) == [8] and step_indices(9, 2) == [0, 8]


def test_under_the_budget_or_without_one_nothing_is_thinned() -> None:
    runs = [_run("a", {"x": (50, 10_000)})]  # ~0.67 MB of data URIs
    for budget in (0.0, 1.0):
        p = plan(runs, lambda t: True, budget_mb=budget, image_steps=None)
        assert p.thinned == [] and p.limit("images", "a", "x") is None


def test_over_the_budget_every_tag_keeps_the_same_even_steps() -> None:
    runs = [
        _run("a", {"big": (200, 30_000), "small": (200, 300)}),
        _run("b", {"big": (40, 30_000)}),
    ]
    p = plan(runs, lambda t: True, budget_mb=1.0, image_steps=None)
    assert p.kept_bytes <= 1_000_000 < p.total_bytes and not p.over
    k = p.limit("images", "a", "big")
    assert k is not None and 2 <= k < 40
    assert p.limit("images", "a", "small") == p.limit("images", "b", "big") == k
    # the largest k that fits: one more step per tag would not
    one_more = sum(
        uri_size(len(img.data), img.mime_type) * len(step_indices(len(s.points), k + 1))
        for r in runs
        for s in r.images.values()
        for img in s.points[0].images
    )
    assert one_more > 1_000_000
    assert {(t.run, t.tag, t.kept, t.total) for t in p.thinned} == {
        ("a", "big", k, 200),
        ("a", "small", k, 200),
        ("b", "big", k, 40),
    }


def test_every_tag_keeps_one_step_even_over_the_budget() -> None:
    runs = [_run("a", {f"t{i}": (5, 200_000) for i in range(10)})]  # 10 tags x 267 KB
    p = plan(runs, lambda t: True, budget_mb=1.0, image_steps=None)
    assert all(p.limit("images", "a", f"t{i}") == 1 for i in range(10))
    assert p.over and len(p.thinned) == 10 and p.thinned[0].kept == 1


def test_image_steps_caps_first_and_the_budget_only_thins_further() -> None:
    runs = [_run("a", {"x": (500, 10_000)})]  # 6.7 MB
    fits = plan(runs, lambda t: True, budget_mb=50.0, image_steps=20)
    assert fits.limit("images", "a", "x") == 20 and fits.thinned == []
    squeezed = plan(runs, lambda t: True, budget_mb=0.1, image_steps=20)
    k = squeezed.limit("images", "a", "x")
    assert k is not None and k < 20 and squeezed.thinned[0].total == 500
    unlimited = plan(runs, lambda t: True, budget_mb=0, image_steps=20)
    assert unlimited.limit("images", "a", "x") == 20


def test_audio_counts_and_is_thinned_too() -> None:
    runs = [_run("a", {}, audio=100)]  # 100 clips of 40 KB
    p = plan(runs, lambda t: True, budget_mb=1.0, image_steps=None)
    k = p.limit("audio", "a", "speech")
    assert k is not None and k < 100 and p.thinned[0].kind == "audio"


def test_tags_the_report_leaves_out_do_not_count() -> None:
    runs = [_run("a", {"keep": (10, 1000), "drop": (1000, 30_000)})]
    p = plan(runs, lambda t: t == "keep", budget_mb=1.0, image_steps=None)
    assert p.thinned == [] and ("images", "a", "drop") not in p.limits


def test_placeholders_become_data_uris_one_at_a_time() -> None:
    store = MediaStore()
    a = store.add(b"\x89PNG1", "image/png")
    b = store.add(b"RIFF", 'audio/x"bad')
    forged = "tbreport-media-0000000000000000-0."
    page = store.page(f'<img src="{a}"><audio src="{b}"></audio><p>{forged}</p>')
    pieces = list(page.pieces())
    assert "data:image/png;base64,iVBORzE=" in pieces
    assert "data:audio/x&quot;bad;base64,UklGRg==" in pieces  # the MIME type escaped
    out = io.StringIO()
    size = page.write(out)
    assert out.getvalue() == page.expand() and size == len(out.getvalue())
    assert forged in out.getvalue()  # another build's nonce is just text


@pytest.mark.parametrize("n", [0, 1, 2, 3, 100])
def test_uri_size_is_exact(n: int) -> None:
    store = MediaStore()
    assert len(store.page(store.add(b"x" * n, "image/png")).expand()) == uri_size(n, "image/png")
