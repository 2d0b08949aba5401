"""A file download as a Flask response: the right type, a UTF-8 file name that says what
it holds (RFC 6266 ``filename*``, an ASCII fallback for old clients), never cached."""

from __future__ import annotations

from urllib.parse import quote

import flask

MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}


def send(data: bytes, fmt: str, filename: str) -> flask.Response:
    response = flask.make_response(data)
    response.headers["Content-Type"] = MIMETYPES[fmt]
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{filename.encode('ascii', 'replace').decode()}\"; "
        f"filename*=UTF-8''{quote(filename)}")
    response.headers["Cache-Control"] = "no-store"
    return response
