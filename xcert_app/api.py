"""HTTP endpoints beside the Reflex app.

``GET /api/verify?number=...&id_number=...`` returns JSON under the same rules as
the public page: each malformed field named, one response for every wrong pair, and
a rate limit per client.

``GET /api/downloads/{id}`` returns a file generated for the caller's organisation
(a batch of PDFs), so large files travel over HTTP instead of the websocket. A
signed link (``?expires=...&signature=...``) from the page stands in for the login.

``GET /api/student/scores`` and ``GET /api/student/tickets/{plan_id}`` give a signed-in
candidate their published scores (JSON) and admission tickets (PDF). The caller is
identified by the login session token, sent as ``Authorization: Bearer <token>`` or
in the ``xcert_token`` cookie the web pages set, and checked on every request.
"""

import logging
import threading

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from xcert_app.db import session_scope
from xcert_app.services import (
    accounts,
    candidate_space,
    downloads,
    exam_documents,
    verification_public,
)
from xcert_app.services.actor import Actor
from xcert_app.services.errors import AccessDenied, LoginExpired, NotFound, ServiceError
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
    errors = verification_public.form_errors(number, id_number)
    if errors:
        return JSONResponse(
            {"found": False, "message": "；".join(errors.values()), "errors": errors},
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


# The student endpoints are plain functions, so Starlette runs them in its thread
# pool and a PDF being drawn never blocks the event loop that serves the pages.
# Drawing is CPU-bound under the GIL, so drawing more at once would not finish
# sooner. The rest wait here instead of each holding a database connection.
_ticket_slots = threading.BoundedSemaphore(4)


def _session_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get("xcert_token", "")


def _error(error: ServiceError) -> JSONResponse:
    status = (
        403
        if isinstance(error, AccessDenied)
        else 404
        if isinstance(error, NotFound)
        else 409
    )
    return JSONResponse({"message": error.message}, status_code=status)


def _signed_in(session, request: Request) -> Actor:
    actor = accounts.actor_for_token(session, _session_token(request))
    if actor is None:
        raise LoginExpired()
    return actor


def student_scores(request: Request) -> JSONResponse:
    try:
        with session_scope() as session:
            rows = candidate_space.scores(session, actor=_signed_in(session, request))
    except ServiceError as error:
        return _error(error)
    return JSONResponse({"scores": rows})


def student_ticket(request: Request) -> Response:
    try:
        plan_id = int(request.path_params["plan_id"])
    except ValueError:
        return JSONResponse({"message": "考试计划编号应为数字"}, status_code=400)
    try:
        with _ticket_slots, session_scope() as session:
            pdf = exam_documents.ticket_pdf_for_candidate(
                session, actor=_signed_in(session, request), plan_id=plan_id
            )
    except ServiceError as error:
        return _error(error)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="admission-ticket.pdf"'},
    )


def generated_file(request: Request) -> Response:
    try:
        file_id = int(request.path_params["file_id"])
    except ValueError:
        return JSONResponse({"message": "文件编号应为数字"}, status_code=400)
    try:
        with session_scope() as session:
            if "signature" in request.query_params:
                stored, path = downloads.locate_signed(
                    session,
                    file_id=file_id,
                    expires=request.query_params.get("expires", ""),
                    signature=request.query_params["signature"],
                )
            else:
                stored, path = downloads.locate(
                    session, actor=_signed_in(session, request), file_id=file_id
                )
            name, content_type = stored.original_name or path.name, stored.content_type
    except ServiceError as error:
        return _error(error)
    return FileResponse(
        path,
        media_type=content_type,
        filename=name,
        content_disposition_type="attachment",
    )


api = Starlette(
    routes=[
        Route("/api/verify", verify_certificate, methods=["GET", "POST"]),
        Route("/api/downloads/{file_id}", generated_file),
        Route("/api/student/scores", student_scores),
        Route("/api/student/tickets/{plan_id}", student_ticket),
    ]
)
