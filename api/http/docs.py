"""The API's documentation, served from this server — tài liệu API: Swagger UI at ``/docs`` and ReDoc at
``/redoc``, both working with no network.

The bundles (``swagger-ui-bundle.js``, ``swagger-ui.css``, ``redoc.standalone.js``) are the ones the
``fastapi-offline`` package ships, served from its installed files under ``/docs/assets/``; nothing is
taken from a CDN. FastAPI's stock pages boot the bundles with an inline ``<script>``, which the
Content-Security-Policy (:mod:`api.web.security_headers`) refuses: these pages load their boot code
from files of ours (``api/http/static``) and carry the OpenAPI address in a ``data-`` attribute.
"""

from __future__ import annotations

from html import escape
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

ASSETS = "/docs/assets"
_JS = "text/javascript; charset=utf-8"
_CSS = "text/css; charset=utf-8"
# name -> (package whose static/ folder holds it, media type)
_FILES = {
    "swagger-ui-bundle.js": ("fastapi_offline", _JS),
    "swagger-ui.css": ("fastapi_offline", _CSS),
    "redoc.standalone.js": ("fastapi_offline", _JS),
    "favicon.png": ("fastapi_offline", "image/png"),
    "swagger-init.js": ("api.http", _JS),
    "redoc-init.js": ("api.http", _JS),
    "redoc.css": ("api.http", _CSS),
}

router = APIRouter(include_in_schema=False)


def _page(
    title: str, styles: tuple[str, ...], root_id: str, openapi_url: str, scripts: tuple[str, ...]
) -> str:
    links = "".join(f'\n  <link rel="stylesheet" href="{ASSETS}/{name}">' for name in styles)
    tags = "".join(f'\n  <script src="{ASSETS}/{name}"></script>' for name in scripts)
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n  <meta charset="utf-8">\n'
        '  <meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"  <title>{escape(title)}</title>\n"
        f'  <link rel="icon" href="{ASSETS}/favicon.png">{links}\n</head>\n<body>\n'
        f'  <div id="{root_id}" data-openapi-url="{escape(openapi_url)}"></div>{tags}\n</body>\n</html>\n'
    )


def _openapi_url(request: Request) -> str:
    return f"{request.scope.get('root_path', '')}{request.app.openapi_url}"


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI over ``/openapi.json``."""
    title = f"{request.app.title} - Swagger UI"
    scripts = ("swagger-ui-bundle.js", "swagger-init.js")
    return HTMLResponse(_page(title, ("swagger-ui.css",), "swagger-ui", _openapi_url(request), scripts))


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    """ReDoc over ``/openapi.json``."""
    title = f"{request.app.title} - ReDoc"
    scripts = ("redoc.standalone.js", "redoc-init.js")
    return HTMLResponse(_page(title, ("redoc.css",), "redoc", _openapi_url(request), scripts))


@router.get(f"{ASSETS}/{{name}}")
def asset(name: str) -> Response:
    """One file of the docs: a vendored bundle or our boot code (nothing else is served here)."""
    if name not in _FILES:
        return Response(status_code=404)
    package, media_type = _FILES[name]
    path = Path(str(resources.files(package).joinpath("static", name)))
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "max-age=86400"})
