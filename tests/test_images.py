"""Uploads (avatars), the served files, QR codes and the admin charts."""

import io
import os
import time
import zipfile
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from reedsailing.core import store
from reedsailing.extensions import db
from reedsailing.integrations import wechat
from reedsailing.models import Activity, Organization
from tests.factories import follow, headers, make_activity, make_admin, make_category, make_org, make_user


def image_bytes(kind="PNG", size=(16, 16), noise=False, **save):
    image = Image.new("RGB", size, (200, 30, 30))
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    image.save(buffer, kind, **save)
    return buffer.getvalue()


def files_in(app, sub):
    folder = Path(app.config["UPLOAD_FOLDER"]) / sub
    return sorted(p.name for p in folder.glob("*")) if folder.exists() else []


def upload(client, url, principal, data, filename="a.png"):
    return client.post(
        url,
        data={"image": (io.BytesIO(data), filename)},
        headers=headers(principal),
        content_type="multipart/form-data",
    )


def jpeg_bytes(size=(64, 48), exif=None):
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, **({"exif": exif} if exif is not None else {}))
    return buffer.getvalue()


def gif_bomb(size=(1000, 1000), frames=40):
    images = [Image.new("P", size, color=index % 2) for index in range(frames)]
    for image in images:
        image.putpalette([0, 0, 0, 255, 255, 255] * 128)
    buffer = io.BytesIO()
    images[0].save(buffer, "GIF", save_all=True, append_images=images[1:], duration=50, loop=0)
    return buffer.getvalue()


def test_manager_uploads_org_avatar_served_publicly_and_replaced(app, client):
    owner = make_user()
    org = make_org(owner=owner)
    url = f"/api/organizations/{org.id}/avatar/"
    first = upload(client, url, owner, image_bytes())
    assert first.status_code == 200
    assert set(first.json) == {"img"}
    img = first.json["img"]
    assert img.startswith("http://testserver/uploads/orgs/") and img.endswith(".png")
    name = img.rsplit("/", 1)[1]
    assert len(name) == 36 and files_in(app, "orgs").count(name) == 1
    db.session.expire_all()
    assert db.session.get(Organization, org.id).avatar == img
    served = client.get(f"/uploads/orgs/{name}")  # no token
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(served.data)) as stored:  # re-encoded, same picture
        assert stored.format == "PNG" and stored.size == (16, 16)
    second = upload(client, url, owner, image_bytes("JPEG"), filename="b.png")
    assert second.status_code == 200 and second.json["img"].endswith(".jpg")
    assert name not in files_in(app, "orgs")
    assert second.json["img"].rsplit("/", 1)[1] in files_in(app, "orgs")


def test_upload_parses_multipart_declared_as_form_urlencoded(app, client):
    owner = make_user()
    org = make_org(owner=owner)
    data = image_bytes("GIF")
    boundary = "----WeChatBoundary7MA4YWxkTrZu0gW"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="tmp.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        f"/api/organizations/{org.id}/avatar/",
        data=body,
        headers=headers(owner),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200, response.json
    assert response.json["img"].endswith(".gif")


@pytest.mark.parametrize(
    "kind,extension", [("PNG", "png"), ("JPEG", "jpg"), ("GIF", "gif"), ("WEBP", "webp")]
)
def test_each_format_gets_its_real_extension(client, kind, extension):
    owner = make_user()
    org = make_org(owner=owner)
    response = upload(
        client, f"/api/organizations/{org.id}/avatar/", owner, image_bytes(kind), filename="x.exe"
    )
    assert response.status_code == 200 and response.json["img"].endswith(f".{extension}")


def _zip_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("evil.js", "alert(1)")
    return buffer.getvalue()


def _png_with_text(text):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text)
    return image_bytes(pnginfo=info)


REFUSED = {
    "renamed text file": b"hello, this is plain text\n" * 10,
    "html": b"<html><script>alert(1)</script></html>",
    "empty": b"",
    "truncated png": image_bytes(noise=True)[:-30],
    "png + zip": image_bytes() + _zip_bytes(),
    "png + html": image_bytes() + b"<script>alert(1)</script>",
    "jpeg + trailing": image_bytes("JPEG") + b"GIF89a trailing payload",
    "gif + trailing": image_bytes("GIF") + b"<html>",
    "script in png text chunk": _png_with_text("<script>alert(document.cookie)</script>"),
    "bmp": image_bytes("BMP"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_non_images_and_polyglots_are_refused_and_nothing_is_stored(app, client, case):
    owner = make_user()
    org = make_org(owner=owner)
    before = files_in(app, "orgs")
    response = upload(
        client, f"/api/organizations/{org.id}/avatar/", owner, REFUSED[case], filename="photo.png"
    )
    assert response.status_code == 400, (case, response.json)
    assert response.json["detail"]
    assert files_in(app, "orgs") == before
    db.session.expire_all()
    assert db.session.get(Organization, org.id).avatar is None


def test_oversized_images_are_refused(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", 0.01)  # 10 KB
    owner = make_user()
    org = make_org(owner=owner)
    url = f"/api/organizations/{org.id}/avatar/"
    before = files_in(app, "orgs")
    big = image_bytes(size=(80, 80), noise=True)
    assert 10 * 1024 < len(big) < 64 * 1024
    response = upload(client, url, owner, big)
    assert response.status_code == 413 and "MB" in response.json["detail"]
    huge = image_bytes(size=(300, 300), noise=True)
    response = upload(client, url, owner, huge)
    assert response.status_code == 413 and response.json["detail"]
    assert files_in(app, "orgs") == before


def test_animated_image_bombs_are_refused_before_decoding(app, client):
    owner = make_user()
    org = make_org(owner=owner)
    bomb = gif_bomb()
    assert len(bomb) < app.config["MAX_UPLOAD_MB"] * 1024 * 1024
    before = files_in(app, "orgs")
    started = time.monotonic()
    response = upload(client, f"/api/organizations/{org.id}/avatar/", owner, bomb, filename="a.gif")
    assert response.status_code == 400 and "动图" in response.json["detail"]
    assert time.monotonic() - started < 2
    assert files_in(app, "orgs") == before


def test_a_small_animation_stays_animated(client):
    owner = make_user()
    org = make_org(owner=owner)
    response = upload(
        client, f"/api/organizations/{org.id}/avatar/", owner, gif_bomb((64, 64), 10), filename="a.gif"
    )
    assert response.status_code == 200
    served = client.get(response.json["img"].replace("http://testserver", ""))
    with Image.open(io.BytesIO(served.data)) as image:
        assert image.format == "GIF" and image.n_frames == 10


def test_phone_originals_are_scaled_down_and_lose_their_exif(app, client):
    owner = make_user()
    org = make_org(owner=owner)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° to show upright
    gps = exif.get_ifd(0x8825)
    gps[2] = (39.0, 58.0, 53.0)  # GPSLatitude
    gps[4] = (116.0, 20.0, 50.0)  # GPSLongitude
    original = jpeg_bytes((4000, 3000), exif=exif.tobytes())
    with Image.open(io.BytesIO(original)) as sent:
        assert sent.getexif().get_ifd(0x8825)
    response = upload(client, f"/api/organizations/{org.id}/avatar/", owner, original)
    assert response.status_code == 200
    served = client.get(response.json["img"].replace("http://testserver", ""))
    with Image.open(io.BytesIO(served.data)) as stored:
        assert stored.format == "JPEG"
        assert stored.size == (1440, 1920)  # upright, longest side UPLOAD_MAX_SIDE
        assert not stored.getexif()  # no GPS, no maker, no orientation left
        assert b"PhoneMaker" not in served.data


def test_too_large_uploads_get_a_toast_text(app, client):
    owner = make_user()
    org = make_org(owner=owner)
    limit = app.config["MAX_UPLOAD_MB"]
    assert limit >= 10  # phone originals fit
    body = b"\xff\xd8" + os.urandom(int((limit + 1) * 1024 * 1024))
    response = upload(client, f"/api/organizations/{org.id}/avatar/", owner, body)
    assert response.status_code == 413
    assert response.json["detail"] == f"图片过大，请选择不超过 {limit:g} MB 的图片。"


def test_upload_input_and_roles(client):
    owner, stranger, manager = make_user(), make_user(), make_user()
    org = make_org(owner=owner, managers=[manager])
    url = f"/api/organizations/{org.id}/avatar/"
    assert upload(client, url, stranger, image_bytes()).status_code == 403
    assert upload(client, url, manager, image_bytes()).status_code == 200
    assert upload(client, url, make_admin(), image_bytes()).status_code == 200
    assert upload(client, "/api/organizations/999999/avatar/", owner, image_bytes()).status_code == 404
    assert client.post(url, data={"image": (io.BytesIO(image_bytes()), "a.png")}).status_code == 401
    wrong_field = client.post(
        url, data={"file": (io.BytesIO(image_bytes()), "a.png")}, headers=headers(owner)
    )
    assert wrong_field.status_code == 400 and wrong_field.json["detail"]
    assert client.post(url, json={"image": "x"}, headers=headers(owner)).status_code == 400


def test_activity_avatar_upload_and_removal(app, client):
    owner, stranger = make_user(), make_user()
    activity = make_activity(owner=owner)
    url = f"/api/activities/{activity.id}/avatar/"
    assert upload(client, url, stranger, image_bytes()).status_code == 403
    response = upload(client, url, owner, image_bytes())
    assert response.status_code == 200 and response.json["img"].startswith("http://testserver/uploads/acts/")
    name = response.json["img"].rsplit("/", 1)[1]
    assert name in files_in(app, "acts")
    db.session.expire_all()
    assert db.session.get(Activity, activity.id).avatar == response.json["img"]
    assert client.delete(url, headers=headers(stranger)).status_code == 403
    removed = client.delete(url, headers=headers(owner))
    assert removed.status_code == 204 and removed.data == b""
    db.session.expire_all()
    assert db.session.get(Activity, activity.id).avatar is None
    assert name not in files_in(app, "acts")
    assert client.get(f"/uploads/acts/{name}").status_code == 404
    assert client.delete("/api/activities/999999/avatar/", headers=headers(owner)).status_code == 404
    # Managers of the activity's organization may change it too.
    manager = make_user()
    org_activity = make_activity(org=make_org(managers=[manager]))
    assert (
        upload(client, f"/api/activities/{org_activity.id}/avatar/", manager, image_bytes()).status_code
        == 200
    )


def test_avatar_urls_never_delete_another_organizations_file(app, client):
    alice, mallory = make_user(), make_user()
    victim, own = make_org(owner=alice), make_org(owner=mallory)
    uploaded = upload(client, f"/api/organizations/{victim.id}/avatar/", alice, jpeg_bytes())
    assert uploaded.status_code == 200
    victim_url = uploaded.json["img"]
    victim_file = victim_url.rsplit("/", 1)[1]
    # Mallory points her organization's avatar at Alice's file, then replaces it.
    pointed = client.put(
        f"/api/organizations/{own.id}/", json={"avatar": victim_url}, headers=headers(mallory)
    )
    assert pointed.status_code == 200
    assert upload(client, f"/api/organizations/{own.id}/avatar/", mallory, jpeg_bytes()).status_code == 200
    assert (
        client.put(
            f"/api/organizations/{own.id}/", json={"avatar": None}, headers=headers(mallory)
        ).status_code
        == 200
    )
    # ... and does the same through an activity's picture.
    activity = make_activity(owner=mallory, avatar=victim_url)
    assert (
        client.delete(f"/api/activities/{activity.id}/avatar/", headers=headers(mallory)).status_code == 204
    )
    assert victim_file in files_in(app, "orgs")
    assert client.get(f"/uploads/orgs/{victim_file}").status_code == 200
    # Alice's own replacement still removes her old file.
    assert upload(client, f"/api/organizations/{victim.id}/avatar/", alice, jpeg_bytes()).status_code == 200
    assert victim_file not in files_in(app, "orgs")


def test_served_uploads_only_accept_safe_names(client):
    for path in (
        "/uploads/orgs/nothere.png",
        "/uploads/etc/" + "a" * 32 + ".png",
        "/uploads/orgs/..%2F..%2Fconfig.py",
        "/uploads/orgs/" + "a" * 32 + ".png",
    ):
        response = client.get(path)
        assert response.status_code == 404 and response.json["detail"]


def test_local_qr_code(app, client):
    user = make_user()
    before = files_in(app, "qrcode")
    body = {"path": "pages/sections/act-detail/act-detail?actId=12", "width": 430}
    response = client.post("/api/qrcode/", json=body, headers=headers(user))
    assert response.status_code == 200 and set(response.json) == {"img"}
    img = response.json["img"]
    assert img.startswith("http://testserver/uploads/qrcode/") and img.endswith(".png")
    served = client.get(img.replace("http://testserver", ""))
    with Image.open(io.BytesIO(served.data)) as image:
        assert image.format == "PNG" and 300 <= image.size[0] <= 430
    assert client.post("/api/qrcode/", json=body, headers=headers(make_admin())).json["img"] == img
    assert len(set(files_in(app, "qrcode")) - set(before)) <= 1
    other = client.post("/api/qrcode/", json={**body, "width": "280"}, headers=headers(user))
    assert other.status_code == 200 and other.json["img"] != img
    for bad in (
        {},
        {"path": ""},
        {"path": "<script>"},
        {"path": "p" * 300},
        {"path": "pages/index/index", "width": 5},
        {"path": "pages/index/index", "width": "wide"},
    ):
        answer = client.post("/api/qrcode/", json=bad, headers=headers(user))
        assert answer.status_code == 400 and answer.json["detail"], bad
    assert client.post("/api/qrcode/", json=body).status_code == 401


def test_wechat_qr_code_and_wechat_errors(app, client, fake_wechat):
    user = make_user()
    body = {"path": "pages/sections/act-list/act-list?orgId=3", "width": 430}
    before = files_in(app, "qrcode")
    fake_wechat.fail_token_requests = True  # no stored token, and WeChat refuses to give one
    no_token = client.post("/api/qrcode/", json=body, headers=headers(user))
    assert no_token.status_code == 502 and no_token.json["detail"]
    assert files_in(app, "qrcode") == before
    fake_wechat.fail_token_requests = False
    store.set_value(wechat.ACCESS_TOKEN_KEY, "forged-token", ttl_seconds=600)
    response = client.post("/api/qrcode/", json=body, headers=headers(user))
    assert response.status_code == 200  # the refused token was replaced once
    assert store.get_value(wechat.ACCESS_TOKEN_KEY) == "access-token-1"
    served = client.get(response.json["img"].replace("http://testserver", ""))
    with Image.open(io.BytesIO(served.data)) as image:
        assert image.format == "PNG"
    call = [params for path, params in fake_wechat.requests if path == "/wxa/getwxacodeunlimit"][-1]
    assert (
        call["page"] == "pages/sections/act-list/act-list"
        and call["scene"] == "orgId=3"
        and call["width"] == 430
    )


def test_the_web_process_fetches_an_access_token_itself_and_reuses_it(client, fake_wechat):
    user = make_user()
    assert wechat.stored_access_token() is None  # no scheduler has run
    for path in ("pages/index/index", "pages/act/act?id=1", "pages/act/act?id=2"):
        response = client.post("/api/qrcode/", json={"path": path}, headers=headers(user))
        assert response.status_code == 200, response.json
    assert fake_wechat.tokens_issued == 1
    assert store.get_value(wechat.ACCESS_TOKEN_KEY) == "access-token-1"


def test_admin_charts(client, count_queries):
    admin, student = make_admin(), make_user()
    popular, quiet = make_org(name="热门社"), make_org(name="冷门社")
    for _ in range(3):
        follow(popular, make_user())
    follow(quiet, make_user())
    sport = make_category("运动会")
    crowded = make_activity(name="满员活动", category_id=sport.id)
    crowded.joined_count = 7
    make_activity(name="空活动", category_id=sport.id)
    make_activity(name="无分类活动")
    db.session.commit()
    for _ in range(30):
        make_org()
    with count_queries() as counter:
        orgs = client.get("/api/charts/popular_orgs/?limit=2", headers=headers(admin))
    assert orgs.status_code == 200 and counter.count <= 2
    assert orgs.json == [{"name": "热门社", "value": 3}, {"name": "冷门社", "value": 1}]
    with count_queries() as counter:
        acts = client.get("/api/charts/popular_acts/", headers=headers(admin))
    assert counter.count <= 2
    assert acts.json[0] == {"name": "满员活动", "value": 7} and len(acts.json) == 3
    with count_queries() as counter:
        share = client.get("/api/charts/act_categories/", headers=headers(admin))
    assert counter.count <= 2
    assert share.json == [{"name": "运动会", "value": 2}, {"name": "未分类", "value": 1}]
    for path in ("popular_orgs", "popular_acts", "act_categories"):
        assert client.get(f"/api/charts/{path}/", headers=headers(student)).status_code == 403
        assert client.get(f"/api/charts/{path}/").status_code == 401
    assert client.get("/api/charts/popular_orgs/?limit=0", headers=headers(admin)).status_code == 400
    assert client.get("/api/charts/").status_code == 404
    page = client.get("/charts/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "/api/charts/popular_orgs/" in html and "<svg" not in html.split("<script>")[0]
    assert 'src="http' not in html and "cdn" not in html.lower()
