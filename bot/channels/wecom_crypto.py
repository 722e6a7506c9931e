"""WeCom callback crypto on top of wechatpy: signatures, decryption, encrypted replies.

Every WeCom callback (AI bot JSON, self-built app XML) is signed the same way:
``sha1(sorted([token, timestamp, nonce, encrypt]).join(""))``, and encrypted with
AES-256-CBC (key = b64decode(EncodingAESKey + "="), IV = key[:16]) around
``random16 + be32(len) + msg + receive_id``. The receive id is ``""`` for an internal
AI bot and the CorpID for a self-built app.

wechatpy does the AES part. The signature is computed here (wechatpy's helper is private)
and compared in constant time; the AI bot's JSON passive reply (``{"encrypt",
"msgsignature", "timestamp", "nonce"}``) is built here too, since wechatpy only renders XML.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
from typing import Any

from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto

from bot.clock import Clock, SystemClock

log = logging.getLogger(__name__)

SIGNATURE_WINDOW = 300  # seconds a callback's timestamp may be away from now


class CallbackRejected(Exception):
    """A callback that is not authentic or cannot be read (answered with 4xx)."""

    @property
    def status(self) -> int:
        """401 for a bad signature or timestamp (not authentic), else 400."""
        reason = str(self)
        return 401 if "signature" in reason or "timestamp" in reason else 400


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """The WeCom callback signature: sha1 of the four strings, sorted and joined."""
    parts = sorted(str(p).encode("utf-8") for p in (token, timestamp, nonce, encrypt))
    return hashlib.sha1(b"".join(parts)).hexdigest()


class CallbackCrypto:
    """Verify and decrypt callbacks, encrypt replies, for one token / key / receive id."""

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str,
                 window: float | None = SIGNATURE_WINDOW, wall_clock: Clock = SystemClock()):
        self.token = token
        self.wall_clock = wall_clock  # the channels pass the app's wall clock
        self.receive_id = receive_id
        self.window = window
        self._crypto = WeChatCrypto(token, encoding_aes_key, receive_id)
        self.key: bytes = self._crypto.key

    # --- checks ---------------------------------------------------------------------------
    def verify(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str,
               now: float | None = None) -> None:
        """Raise CallbackRejected unless the signature matches and the time is recent."""
        if not (msg_signature and timestamp and nonce and encrypt):
            raise CallbackRejected("missing signature parameters")
        if len(timestamp) > 12 or len(nonce) > 128 or len(msg_signature) > 64:
            raise CallbackRejected("bad signature parameters")
        expected = signature(self.token, timestamp, nonce, encrypt)
        # bytes: compare_digest refuses str with non-ASCII characters (a TypeError, a 500)
        if not hmac.compare_digest(expected.encode(),
                                   msg_signature.lower().encode("utf-8", "replace")):
            raise CallbackRejected("bad signature")
        if self.window is not None:
            try:
                age = abs((self.wall_clock().timestamp() if now is None else now) -
                          int(timestamp))
            except ValueError:
                raise CallbackRejected("bad timestamp") from None
            if age > self.window:
                raise CallbackRejected("timestamp outside the allowed window")

    def decrypt(self, encrypt: str) -> str:
        """The plaintext of an already verified ciphertext (checks the receive id)."""
        try:
            return PrpCrypto(self.key).decrypt(encrypt, self.receive_id)
        except Exception as exc:  # noqa: BLE001 - bad padding, base64, receive id …
            raise CallbackRejected(f"cannot decrypt: {type(exc).__name__}") from None

    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """URL verification (GET with echostr): the plaintext to answer with."""
        self.verify(msg_signature, timestamp, nonce, echostr)
        return self.decrypt(echostr)

    # --- AI bot JSON ------------------------------------------------------------------------
    def decrypt_json(self, body: bytes, msg_signature: str, timestamp: str, nonce: str
                     ) -> dict[str, Any]:
        """An AI-bot callback body ``{"encrypt": …}`` -> the decrypted JSON object.

        The signature is checked before the body is parsed: the ciphertext is found by a
        linear scan of the raw bytes (`encrypt_in_json`), so a forged body, however deeply
        nested, is refused without being parsed."""
        self._require_params(msg_signature, timestamp, nonce)
        encrypt = encrypt_in_json(body)
        if encrypt is None:
            raise CallbackRejected("no encrypt field")
        self.verify(msg_signature, timestamp, nonce, encrypt)
        try:
            envelope = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise CallbackRejected("malformed JSON") from None
        if not isinstance(envelope, dict) or envelope.get("encrypt") != encrypt:
            raise CallbackRejected("no encrypt field")
        try:
            data = json.loads(self.decrypt(encrypt))
        except (json.JSONDecodeError, RecursionError):
            raise CallbackRejected("decrypted body is not JSON") from None
        if not isinstance(data, dict):
            raise CallbackRejected("decrypted body is not an object")
        return data

    @staticmethod
    def _require_params(msg_signature: str, timestamp: str, nonce: str) -> None:
        if not (msg_signature and timestamp and nonce):
            raise CallbackRejected("missing signature parameters")

    def encrypt_json(self, payload: dict[str, Any], nonce: str | None = None,
                     timestamp: str | None = None) -> dict[str, str]:
        """The encrypted JSON passive reply of an AI bot (note: `msgsignature`)."""
        plain = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        enc = PrpCrypto(self.key).encrypt(plain, self.receive_id)
        enc = enc.decode() if isinstance(enc, bytes) else enc
        ts = timestamp or str(int(self.wall_clock().timestamp()))
        nonce = nonce or secrets.token_hex(8)
        return {"encrypt": enc, "msgsignature": signature(self.token, ts, nonce, enc),
                "timestamp": ts, "nonce": nonce}

    # --- self-built app XML ---------------------------------------------------------------
    def decrypt_xml(self, body: bytes, msg_signature: str, timestamp: str, nonce: str) -> str:
        """An app callback ``<xml><Encrypt>…`` -> the decrypted inner XML. As with JSON,
        the signature is checked on the ciphertext found by a scan of the raw bytes before
        the XML is parsed."""
        import xmltodict

        self._require_params(msg_signature, timestamp, nonce)
        encrypt = encrypt_in_xml(body)
        if encrypt is None:
            raise CallbackRejected("no Encrypt element")
        self.verify(msg_signature, timestamp, nonce, encrypt)
        try:
            envelope = xmltodict.parse(body.decode("utf-8"))["xml"]
            found = envelope["Encrypt"]
        except Exception:  # noqa: BLE001 - anything unreadable is a 400
            raise CallbackRejected("malformed XML") from None
        if not isinstance(found, str) or found.strip() != encrypt:
            raise CallbackRejected("no Encrypt element")
        return self.decrypt(encrypt)


# The ciphertext is base64; a JSON encoder may write "/" as "\/".
_B64 = rb"(?:[A-Za-z0-9+/=]|\\/)+"
_JSON_ENCRYPT = re.compile(rb'"encrypt"\s*:\s*"(' + _B64 + rb')"')
_XML_ENCRYPT = re.compile(rb"<Encrypt>\s*(?:<!\[CDATA\[\s*([A-Za-z0-9+/=]+)\s*\]\]>|"
                          rb"([A-Za-z0-9+/=]+))\s*</Encrypt>")


def encrypt_in_json(body: bytes) -> str | None:
    """The ``encrypt`` string of a JSON callback body, found without parsing it."""
    match = _JSON_ENCRYPT.search(body)
    return match.group(1).replace(b"\\/", b"/").decode("ascii") if match else None


def encrypt_in_xml(body: bytes) -> str | None:
    """The ``<Encrypt>`` text of an XML callback body, found without parsing it."""
    match = _XML_ENCRYPT.search(body)
    if not match:
        return None
    return (match.group(1) or match.group(2)).decode("ascii")


# --- the Flask side shared by the AI-bot and app callbacks ----------------------------------

def reject(channel: str, status: int, reason: str):
    """A refused callback: logged, answered with a JSON error, nothing processed."""
    from flask import jsonify

    log.warning("wecom %s callback refused: %s", channel, reason)
    return jsonify({"ok": False, "error": reason}), status


def verify_url_response(crypto: CallbackCrypto, channel: str, args):
    """WeCom's URL check (GET ?msg_signature&timestamp&nonce&echostr): the plaintext."""
    from flask import Response

    try:
        plain = crypto.verify_url(args.get("msg_signature", ""), args.get("timestamp", ""),
                                  args.get("nonce", ""), args.get("echostr", ""))
    except CallbackRejected as exc:
        return reject(channel, 401, str(exc))
    return Response(plain, mimetype="text/plain")
