"""The static site: every picture with its recipe, safe HTML and links, re-publishing that prunes only its own
files, damaged pictures skipped by name, cancel."""

from __future__ import annotations

import re
from urllib.parse import unquote

import numpy as np
import pytest
from PIL import Image

from studio.engine.arrays import encode_array
from studio.engine.jobs import Cancelled, CancelToken
from studio.engine.library.gallery import GalleryError, export_picture, rename_picture
from studio.engine.library.site import THUMB_SIZE, publish_site
from tests.engine.library.test_gallery import IMG, _latent


def _links(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="([^"]*)"', html)


def test_publish_site(tmp_path):
    g = tmp_path / "gallery"
    evil = {"title": "<script>alert(1)</script>", "w": encode_array(_latent((1, 18, 512)))}
    export_picture(g, IMG, evil, name="evil & #1")
    export_picture(g, IMG, {"seed": 3, "sliders": list(range(40))}, name="calm")
    Image.fromarray(IMG).save(g / "no recipe.png")
    reports = []
    index = publish_site(g, tmp_path / "site", title="My <gallery>", progress=reports.append).index

    assert index == tmp_path / "site" / "index.html"
    assert reports[-1].done == reports[-1].total == 4
    pages = [index, *sorted((tmp_path / "site" / "pages").glob("*.html"))]
    assert len(pages) == 4
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<script>" not in html and "<gallery>" not in html
        for link in _links(html):
            assert "://" not in link and not link.startswith("/"), link
            assert (page.parent / unquote(link.replace("&amp;", "&"))).is_file(), link
    evil_page = (tmp_path / "site" / "pages" / "evil & #1.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;" in evil_page and "float32 array 1x18x512" in evil_page
    assert evil["w"]["__ndarray__"][:100] not in evil_page  # latents summarised, not dumped
    assert "list of 40 numbers" in (tmp_path / "site" / "pages" / "calm.html").read_text(encoding="utf-8")
    assert "No recipe" in (tmp_path / "site" / "pages" / "no recipe.html").read_text(encoding="utf-8")
    with Image.open(tmp_path / "site" / "thumbs" / "calm.jpg") as thumb:
        assert thumb.size == IMG.shape[1::-1]  # a small picture is not stretched to the thumbnail size


def test_republish_updates_and_prunes_only_its_own_files(tmp_path):
    g, site = tmp_path / "gallery", tmp_path / "site"
    keep = export_picture(g, IMG, {}, name="keep")
    gone = export_picture(g, IMG, {}, name="gone")
    publish_site(g, site)
    (site / "images" / "mine.png").write_bytes(b"the user's own file")
    gone.unlink()
    rename_picture(keep, "kept")
    publish_site(g, site)
    assert sorted(p.name for p in (site / "images").iterdir()) == ["kept.png", "mine.png"]
    assert [p.name for p in (site / "pages").iterdir()] == ["kept.html"]
    assert "gone" not in (site / "index.html").read_text(encoding="utf-8")


def test_publish_can_be_cancelled(tmp_path):
    export_picture(tmp_path / "g", IMG, {}, name="a")
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        publish_site(tmp_path / "g", tmp_path / "site", token=token)
    assert not (tmp_path / "site" / "index.html").exists()


def test_publish_needs_a_gallery_folder(tmp_path):
    with pytest.raises(GalleryError, match="nowhere is not a folder"):
        publish_site(tmp_path / "nowhere", tmp_path / "site")


def test_publish_skips_a_damaged_picture_by_name_and_publishes_the_rest(tmp_path):
    g, site = tmp_path / "gallery", tmp_path / "site"
    export_picture(g, IMG, {}, name="a")
    export_picture(g, IMG, {}, name="c")
    (g / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"cut short")
    report = publish_site(g, site)
    assert report.published == 2 and list(report.skipped) == ["b.png"] and "b.png" in report.skipped["b.png"]
    assert sorted(p.name for p in (site / "pages").iterdir()) == ["a.html", "c.html"]
    assert "b.html" not in (site / "index.html").read_text(encoding="utf-8")


def test_a_killed_publish_is_pruned_by_the_next(tmp_path):
    """Files are recorded before they are written, so copies of a publish that died half-way are pruned later."""
    g, site = tmp_path / "gallery", tmp_path / "site"
    for name in ("a", "b", "c"):
        export_picture(g, IMG, {}, name=name)
    token = CancelToken()

    def die_after_first(p):
        if p.done == 1:
            token.cancel()  # stands in for kill -9 after the first picture was copied

    with pytest.raises(Cancelled):
        publish_site(g, site, progress=die_after_first, token=token)
    copied = sorted(p.name for p in (site / "images").iterdir())
    assert copied  # something was written before it died
    for picture in g.glob("*"):
        picture.unlink()
    export_picture(g, IMG, {}, name="z")
    publish_site(g, site)
    assert sorted(p.name for p in (site / "images").iterdir()) == ["z.png"]
    assert sorted(p.name for p in (site / "thumbs").iterdir()) == ["z.jpg"]


def test_names_differing_only_in_case_get_pages_of_their_own(tmp_path):
    g, site = tmp_path / "gallery", tmp_path / "site"
    g.mkdir()
    Image.fromarray(IMG).save(g / "Dup.png")
    Image.fromarray(255 - IMG).save(g / "Dup.PNG", format="PNG")
    Image.fromarray(IMG).save(g / "dup-2.png")  # the name a clash would take: still distinct
    index = publish_site(g, site).index
    pages = sorted(p.name for p in (site / "pages").iterdir())
    assert len(pages) == 3 and len({p.casefold() for p in pages}) == 3  # distinct on case-insensitive disks too
    html = index.read_text(encoding="utf-8")
    assert all(f'href="pages/{quote}"' in html for quote in pages)
    images = {p.name: p.read_bytes() for p in (site / "images").iterdir()}
    assert len(images) == 3 and (g / "Dup.png").read_bytes() in images.values()
    assert (g / "Dup.PNG").read_bytes() in images.values()


def test_publish_refuses_a_folder_of_other_files(tmp_path):
    export_picture(tmp_path / "g", IMG, {}, name="a")
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "index.html").write_text("my own home page")
    with pytest.raises(ValueError, match="www is not empty and does not hold a published gallery"):
        publish_site(tmp_path / "g", tmp_path / "www")
    assert (tmp_path / "www" / "index.html").read_text() == "my own home page"


def test_publish_never_writes_through_a_link_that_leads_out_of_the_site(tmp_path):
    import shutil

    from studio.engine.outputs import OutputError

    g, site, photos = tmp_path / "gallery", tmp_path / "site", tmp_path / "photos"
    export_picture(g, IMG, {}, name="a")
    publish_site(g, site)
    photos.mkdir()
    (photos / "a.png").write_bytes(b"a user's photo")
    shutil.rmtree(site / "images")
    (site / "images").symlink_to(photos)  # someone's link, or a folder moved and linked back
    with pytest.raises(OutputError) as refused:
        publish_site(g, site)
    assert str(refused.value) == (f"{site / 'images'} is a link to {photos}, outside {site}; a published gallery is "
                                  "written only inside its own folder, so remove the link or choose another folder.")
    assert (photos / "a.png").read_bytes() == b"a user's photo"
    assert sorted(p.name for p in photos.iterdir()) == ["a.png"]


def test_site_thumbnails_keep_the_pictures_shape_and_only_shrink(tmp_path):
    g = tmp_path / "gallery"
    wide = np.random.default_rng(1).integers(0, 256, (300, 600, 3), dtype=np.uint8)
    export_picture(g, wide, {}, name="wide")
    export_picture(g, IMG, {}, name="small")
    publish_site(g, tmp_path / "site")
    with Image.open(tmp_path / "site" / "thumbs" / "wide.jpg") as thumb:
        assert thumb.size == (THUMB_SIZE, THUMB_SIZE // 2)  # shrunk, aspect kept, not cropped
    with Image.open(tmp_path / "site" / "thumbs" / "small.jpg") as thumb:
        assert thumb.size == IMG.shape[1::-1]  # a small picture is not stretched to the thumbnail size
    css = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "figure img{max-width:100%;height:auto" in css
