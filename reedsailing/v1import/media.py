"""Pictures the first version stored on its own host
(`https://www.reedsailing.xyz/server_files/acts/<id>_<hex>.jpg`, `orgs/...`).

- `--media-from DIR` (a copy of the old `server_files/` folder): each file is checked
  and re-encoded like an upload (images/storage.py: no EXIF, no polyglots, the real
  extension) and stored in UPLOAD_FOLDER under a name owned by its row, so replacing
  the avatar later removes it like any upload; the row points at our URL
  (`{PUBLIC_BASE_URL}/uploads/<acts|orgs>/<name>`). A file that is missing or not an
  image is left to `--media-base` when given, else the picture is dropped (NULL).
- `--media-base URL`: the URL is rewritten to `URL/<path under server_files/>`, for
  files served from somewhere else (nginx keeping the old folder).
- neither: the URL stays on the old host (which must then keep serving it).

Files are written at planning time, before their rows commit; a row that then fails
leaves an unreferenced file, which the scheduler's housekeeping removes after a day.
Student avatars are WeChat URLs and are left alone.
"""

import re
from pathlib import Path

from reedsailing.core.errors import ApiError
from reedsailing.images import storage

OLD_HOST = re.compile(r"^https?://(?:www\.)?reedsailing\.xyz(?::\d+)?/server_files/(?P<path>[^?#]+)", re.I)
# Where a copied picture goes, by the kind of row that shows it (users' and admins'
# pictures on the old host are rare; they share the organizations' folder).
FOLDERS = {"activity": "acts", "organization": "orgs", "user": "orgs", "admin": "orgs"}
OWNED = {"activity", "organization"}


class Media:
    def __init__(self, base: str | None, folder: Path | None, dry_run: bool) -> None:
        self.base = base.rstrip("/") if base else None
        self.folder = folder.resolve() if folder else None
        self.dry_run = dry_run

    def convert(self, url: str | None, kind: str, owner_id: int) -> tuple[str | None, str | None]:
        """(the URL to store, what was done: None when the URL is not the old host's)."""
        match = OLD_HOST.match(url or "")
        if match is None:
            return url, None
        path = match.group("path")
        if self.folder is not None:
            copied, problem = self._copy(path, kind, owner_id)
            if copied is not None:
                return copied, "picture copied into UPLOAD_FOLDER"
            if self.base is not None:
                return f"{self.base}/{path}", f"picture {problem} in --media-from: pointed at --media-base"
            return None, f"picture {problem} in --media-from: dropped"
        if self.base is not None:
            return f"{self.base}/{path}", "picture URL pointed at --media-base"
        return url, "picture left on the old host (no --media-base or --media-from)"

    def _copy(self, path: str, kind: str, owner_id: int) -> tuple[str | None, str]:
        assert self.folder is not None
        source = (self.folder / path).resolve()
        if not source.is_relative_to(self.folder) or not source.is_file():
            return None, "missing"
        try:
            data = source.read_bytes()
            if self.dry_run:
                extension = storage.check_image(data)
            else:
                data, extension = storage.prepare_image(data)
        except (ApiError, OSError):
            return None, "not an image"
        sub = FOLDERS[kind]
        name = storage.owned_name(sub, owner_id, extension) if kind in OWNED else storage.new_name(extension)
        if self.dry_run:
            return storage.public_url(sub, name), ""
        return storage.save(sub, data, extension, name), ""
