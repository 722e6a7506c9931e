"""Pictures for the photo tests (a JPEG carrying EXIF with a GPS location, PNG, GIF),
and a loopback HTTP server that serves bytes at paths, as a bridge's or WeCom's image
URLs would."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO

from PIL import Image

GPS_IFD = 0x8825
# 31°14'05"N 121°28'01"E, and the camera that took it
GPS = {1: "N", 2: (31.0, 14.0, 5.0), 3: "E", 4: (121.0, 28.0, 1.0)}


def jpeg_with_gps(size=(64, 48), color=(200, 40, 40)) -> bytes:
    img = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "LinliPhone"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° to be upright
    exif[GPS_IFD] = GPS
    out = BytesIO()
    img.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def image_bytes(fmt: str, size=(32, 32)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, fmt)
    return out.getvalue()


def has_gps(data: bytes) -> bool:
    with Image.open(BytesIO(data)) as img:
        exif = img.getexif()
        return bool(exif) or bool(exif.get_ifd(GPS_IFD)) or "exif" in img.info


class ImageServer:
    """GET /path -> the bytes put there (404 otherwise); counts requests."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                body = server.files.get(self.path.split("?")[0])
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def put(self, path: str, body: bytes) -> str:
        self.files[path] = body
        return self.base + path

    def close(self):
        self.server.shutdown()
        self.server.server_close()
