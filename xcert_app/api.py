"""HTTP endpoints beside the Reflex app: certificate verification for employers.

``GET /api/verify?number=...&id_number=...`` returns JSON under the same rules as
the public page: one response for every wrong pair, and a rate limit per client.
"""

import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from xcert_app.db import session_scope
from xcert_app.services import verification_public
from xcert_app.services.verification_public import NOT_FOUND_MESSAGE, RateLimited

logger = logging.getLogger(__name__)


def client_key(request: Request) -> str:
    """Return the client address the rate limit counts against."""
    # NOTE: behind a reverse proxy every request comes from the proxy's address;
    # such a deployment must pass the real address (e.g. uvicorn --proxy-headers).
    return request.client.host if request.client else "unknown"


async def verify_certificate(request: Request) -> JSONResponse:
    if request.method == "POST":
        try:
            payload = await request.json()
        except ValueError:
            return JSONResponse(
                {
                    "found": False,
                    "message": '请求体须为 JSON：{"number": ..., "id_number": ...}',
                },
                status_code=400,
            )
    else:
        payload = request.query_params
    number = str(payload.get("number") or "")
    id_number = str(payload.get("id_number") or "")
    if not number or not id_number:
        return JSONResponse(
            {
                "found": False,
                "message": "请同时提供 number（证书编号）和 id_number（证件号码）",
            },
            status_code=400,
        )
    try:
        with session_scope() as session:
            found = verification_public.verify(
                session, number=number, id_number=id_number, client=client_key(request)
            )
    except RateLimited as error:
        return JSONResponse(
            {"found": False, "message": error.message},
            status_code=429,
            headers={"Retry-After": str(error.retry_after)},
        )
    if found is None:
        return JSONResponse(
            {"found": False, "message": NOT_FOUND_MESSAGE}, status_code=404
        )
    return JSONResponse({"found": True, "certificate": found.as_dict()})


api = Starlette(
    routes=[Route("/api/verify", verify_certificate, methods=["GET", "POST"])]
)
