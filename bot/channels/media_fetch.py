"""Fetching the photos of a message: `HttpMediaFetcher` turns an `ImageRef` into bytes.

- base64 (the bridge): decoded strictly; the md5 of the bytes must match.
- a URL (the bridge; WeCom's AI bot): GET through the injected `requests.Session`,
  http(s) only, at most `max_bytes` read (a longer body is refused without reading it
  all), within `timeout` seconds for the whole download; WeCom's image URLs serve
  ciphertext: AES-256-CBC with the bot's key (key = b64decode(EncodingAESKey + "="),
  or the per-image ``aeskey`` on the long connection), IV = key[:16], PKCS#7 padding
  to 32 bytes.
- bytes a channel already holds (the archive SDK's): checked against the md5 when known.

Never raises: a failure is a `FetchedImage` with `error` (unreachable, too large, md5
mismatch, cannot decrypt …) that the caller stores and logs. URLs are logged without
their query (WeCom's carry a signature).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.events import FetchedImage, ImageRef

CHUNK = 64 * 1024
AES_BLOCK_PAD = 32  # WeCom pads to 32-byte blocks (PKCS#7)


def aes_decrypt_media(data: bytes, key: bytes) -> bytes:
    """WeCom media: AES-256-CBC, IV = key[:16], PKCS#7 padding of at most 32 bytes."""
    if len(key) != 32 or not data or len(data) % 16:
        raise ValueError("not AES-256-CBC ciphertext for this key")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= AES_BLOCK_PAD or plain[-pad:] != bytes([pad]) * pad:
        raise ValueError("bad padding")
    return plain[:-pad]


def aes_encrypt_media(data: bytes, key: bytes) -> bytes:
    """The inverse of `aes_decrypt_media` (used by tests and fakes)."""
    pad = AES_BLOCK_PAD - len(data) % AES_BLOCK_PAD
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return encryptor.update(data + bytes([pad]) * pad) + encryptor.finalize()


def md5_matches(data: bytes, md5: str) -> bool:
    return hmac.compare_digest(hashlib.md5(data).hexdigest(), md5.strip().lower())


def safe_url(url: str) -> str:
    """The URL without query or fragment, for logs."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


class HttpMediaFetcher:
    def __init__(self, session: requests.Session | None = None, timeout: float = 10.0):
        self.http = session or requests.Session()
        self.timeout = timeout

    def fetch(self, ref: ImageRef, max_bytes: int) -> FetchedImage:
        if ref.data is not None:
            return self._checked(ref.data, ref.md5, "sdk", max_bytes)
        if ref.base64:
            try:
                data = base64.b64decode(ref.base64, validate=True)
            except (binascii.Error, ValueError):
                return FetchedImage(None, "base64", "bad base64")
            return self._checked(data, ref.md5, "base64", max_bytes)
        if ref.url:
            return self._download(ref, max_bytes)
        return FetchedImage(None, "", "no url or base64")

    @staticmethod
    def _checked(data: bytes, md5: str, source: str, max_bytes: int) -> FetchedImage:
        if len(data) > max_bytes:
            return FetchedImage(None, source, f"too large: {len(data)} bytes "
                                              f"(limit {max_bytes})")
        if md5 and not md5_matches(data, md5):
            return FetchedImage(None, source, "md5 mismatch")
        return FetchedImage(data, source)

    def _download(self, ref: ImageRef, max_bytes: int) -> FetchedImage:
        if urlsplit(ref.url).scheme not in ("http", "https"):
            return FetchedImage(None, "url", "unreachable: not an http(s) URL")
        limit = max_bytes + AES_BLOCK_PAD if ref.aes_key else max_bytes
        deadline = time.monotonic() + self.timeout  # for the whole download
        try:
            with self.http.get(ref.url, timeout=self.timeout, stream=True) as resp:
                if resp.status_code != 200:
                    return FetchedImage(None, "url", f"unreachable: HTTP {resp.status_code} "
                                                     f"from {safe_url(ref.url)}")
                body = bytearray()
                for chunk in resp.iter_content(CHUNK):
                    body += chunk
                    if len(body) > limit:
                        return FetchedImage(None, "url", f"too large: over {max_bytes} "
                                                         "bytes")
                    if time.monotonic() > deadline:
                        return FetchedImage(None, "url", f"unreachable: slower than "
                                                         f"{self.timeout:g} s")
        except requests.RequestException as exc:
            return FetchedImage(None, "url", f"unreachable: {type(exc).__name__} "
                                             f"for {safe_url(ref.url)}")
        data = bytes(body)
        if ref.aes_key:
            try:
                data = aes_decrypt_media(data, ref.aes_key)
            except ValueError as exc:
                return FetchedImage(None, "url", f"cannot decrypt: {exc}")
        return self._checked(data, ref.md5, "url", max_bytes)
