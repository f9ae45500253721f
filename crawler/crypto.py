"""The site's request/response scheme: AES-128-ECB with PKCS#7 for bodies, RSA
PKCS#1 v1.5 (the site's public key) for the per-request AES key and the body's SHA-1.

ECB is the site's choice, not ours; we only speak it.
"""

import base64
import binascii
import hashlib
import secrets
import string

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key

from crawler.errors import ProtocolChanged

KEY_ALPHABET = string.ascii_letters + string.digits


def load_public_key(text):
    """The RSA public key from base64 DER (as the site's script publishes it) or PEM."""
    text = (text or "").strip()
    try:
        if text.startswith("-----BEGIN"):
            return load_pem_public_key(text.encode())
        return load_der_public_key(base64.b64decode("".join(text.split())))
    except (ValueError, TypeError, binascii.Error) as error:
        raise ValueError("BYKC_RSA_PUBLIC_KEY is not a base64 DER or PEM RSA public key") from error


def random_aes_key():
    """A fresh 16-character key of letters and digits (the site's key format)."""
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(16)).encode()


def aes_encrypt(plain, key):
    padder = padding.PKCS7(128).padder()
    data = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return base64.b64encode(encryptor.update(data) + encryptor.finalize())


def aes_decrypt(text, key):
    """Plain bytes of a base64 AES-ECB body; ProtocolChanged when it is not one."""
    try:
        cipher_bytes = base64.b64decode(text.strip(), validate=True)
        if not cipher_bytes or len(cipher_bytes) % 16:
            raise ValueError("not a whole number of AES blocks")
        decryptor = Cipher(algorithms.AES(key), modes.ECB()).decryptor()
        padded = decryptor.update(cipher_bytes) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        return unpadder.update(padded) + unpadder.finalize()
    except (ValueError, binascii.Error) as error:
        raise ProtocolChanged(f"the response cannot be decrypted: {error}") from error


def rsa_encrypt(data, public_key):
    return base64.b64encode(public_key.encrypt(data, asym_padding.PKCS1v15()))


def sha1_hex(data):
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()
