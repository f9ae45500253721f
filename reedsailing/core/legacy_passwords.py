"""The first version's admin password hashes, checked without Django.

Its console admins were Django users: `auth_user.password` holds
`pbkdf2_sha256$<iterations>$<salt>$<base64 hash>` (PBKDF2-HMAC-SHA256, 260000 iterations
in Django 3.2, fewer in older rows; `pbkdf2_sha1$...` with an older setting). `import-v1`
copies them as they are (docs/switch-over.md); `Admin.check_password` accepts them and
the console login replaces one by our own hash at the first successful login.
"""

import base64
import hashlib
import hmac

DIGESTS = {"pbkdf2_sha256": "sha256", "pbkdf2_sha1": "sha1"}
MAX_ITERATIONS = 5_000_000  # Django 5 uses 870000; more would be a denial of service


def is_django_hash(encoded: str | None) -> bool:
    """True for a hash in one of the Django formats we can check."""
    if not encoded:
        return False
    parts = encoded.split("$")
    return len(parts) == 4 and parts[0] in DIGESTS


def check_django_password(password: str, encoded: str) -> bool:
    """Whether `password` matches the Django hash `encoded` (constant-time comparison)."""
    if not is_django_hash(encoded):
        return False
    algorithm, iterations, salt, expected = encoded.split("$")
    try:
        rounds = int(iterations)
    except ValueError:
        return False
    if not 1 <= rounds <= MAX_ITERATIONS:
        return False
    derived = hashlib.pbkdf2_hmac(DIGESTS[algorithm], password.encode(), salt.encode(), rounds)
    computed = base64.b64encode(derived).decode("ascii").strip()
    return hmac.compare_digest(computed.encode(), expected.encode())
