"""`python app.py`: the chat on http://127.0.0.1:7860 and POST /api/ask beside it.

With no index yet (or one of an older format) it runs ingest first.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from assistant.auth import Credentials
from assistant.errors import CaseError, SettingsError
from assistant.settings import Settings
from assistant.index import IndexLayout

log = logging.getLogger("app")

STATIC_PATH = "/case-static"
#: Paths served by our own routes; everything else goes to Gradio, through its allowlist.
OWN_PREFIXES = ("/api/", "/openapi.json", STATIC_PATH + "/")


def refresher(settings: Settings, embeddings):
    """Re-run ingest (fetching sources) from the UI, reporting progress as it goes: in this
    process with the model already loaded, as ``ingest --watch`` does."""
    from assistant.analysis import Analyzer
    from assistant.index import CaseProfile
    from ingest.cli import human_summary
    from ingest.pipeline import run_ingest

    analyzers: list[Analyzer] = []  # the language pipeline, loaded at the first refresh and kept

    def refresh(progress) -> str:
        if not analyzers:
            analyzers.append(Analyzer(settings.spacy_model, CaseProfile()))  # each run gives it the case
        return human_summary(run_ingest(settings, fetch=True, progress=progress, embeddings=embeddings,
                                        analyzer=analyzers[0]))

    return refresh


def sign_in_for(settings: Settings, admin: bool) -> Credentials | None:
    """The configured sign-in (a bad CASE_AUTH stops start-up before anything loads); the
    admin page needs one, since "Refresh sources" re-runs ingest on the server."""
    credentials = settings.credentials()
    if admin and credentials is None:
        raise SettingsError("--admin needs a sign-in: set CASE_AUTH=user:password (without one, anyone who can "
                            "reach the page could re-run ingest)")
    return credentials


def create_app(settings: Settings, admin: bool = False):
    """The FastAPI app: the API routes, our static page script, then the Gradio UI mounted
    at '/', all behind the guards of assistant.web_guard."""
    import gradio as gr
    from fastapi import FastAPI
    from fastapi.staticfiles import StaticFiles

    from starlette.middleware.cors import CORSMiddleware

    from assistant.api import build_router
    from assistant.auth import ClientLimit
    from assistant.service import Assistant
    from assistant.ui import STATIC_DIR, build_ui, page_css
    from assistant.web_guard import (EVENT_JOIN, AskRate, BodyLimit, RouteAllowlist, SecurityHeaders, SessionCookies,
                                     SignInThrottle)

    credentials = sign_in_for(settings, admin)
    assistant = Assistant(settings=settings)
    assistant.warm_up()
    # FastAPI's own /docs and /redoc load Swagger UI from a CDN, which the CSP (and a closed
    # network) refuses; the schema is served by the API router, behind the sign-in if any.
    app = FastAPI(title="Case Assistant", version="0.1.0", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(build_router(assistant, credentials))
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="case-static")
    demo = build_ui(assistant, admin=admin or credentials is not None,
                    refresh=refresher(settings, assistant.embeddings), signed_in=credentials is not None)
    demo.queue(default_concurrency_limit=settings.ui_concurrency, max_size=settings.queue_size)
    gr.mount_gradio_app(
        app, demo, path="/", css=page_css(),
        # System fonts by name: Gradio's own web fonts (a SemiBold file that holds only "A" and
        # "B") are never loaded, and no @font-face points anywhere.
        theme=gr.themes.Default(font=["system-ui", "Segoe UI", "Roboto", "Liberation Sans", "DejaVu Sans", "Arial",
                                      "sans-serif"],
                                font_mono=["ui-monospace", "Consolas", "Liberation Mono", "DejaVu Sans Mono",
                                           "monospace"]), head=f'<script src="{STATIC_PATH}/chat.js"></script>',
        footer_links=[], run_history=False, show_error=False, max_file_size=1,
        auth=credentials.check if credentials else None, auth_message="Case Assistant: sign in",
        # The app shows and takes no files: nothing on disk is Gradio's to serve.
        allowed_paths=[], blocked_paths=[os.path.abspath(os.sep)],
    )
    # launch() sets this; mount_gradio_app does not, and without it Gradio skips its own
    # path checks when it moves files named in event data into its cache.
    demo.has_launched = True

    # Added innermost first: a request meets them from the last up.
    app.add_middleware(RouteAllowlist, own_prefixes=OWN_PREFIXES, event_ids=set(demo.fns),
                       # Gradio keeps no public list of live sessions: the queue's own table is it.
                       known_session=lambda session: session in demo._queue.pending_messages_per_session)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(AskRate, limit=ClientLimit(settings.asks_per_minute, 60), paths=("/api/ask", EVENT_JOIN))
    app.add_middleware(SignInThrottle, failures=ClientLimit(settings.login_failures, settings.login_window_seconds),
                       credentials=credentials)
    # Only the listed origins may read answers from another site's page, and never with the
    # user's cookies. With it in place, Gradio's own CORS handling (which echoes any Origin
    # with credentials when the host is not localhost) stands aside.
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
                       allow_methods=["GET", "POST"], allow_headers=["authorization", "content-type"])
    app.add_middleware(SessionCookies)
    app.add_middleware(SecurityHeaders)  # outermost: every answer carries the headers, refusals too
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default GRADIO_SERVER_PORT or 7860)")
    parser.add_argument("--admin", action="store_true",
                        help="offer 'Refresh sources' (re-run ingest) in the UI; needs CASE_AUTH")
    args = parser.parse_args(argv)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home from a closed network
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        settings = Settings.load()
        if args.host:
            settings = settings.model_copy(update={"host": args.host})
        if args.port:
            settings = settings.model_copy(update={"port": args.port})
        sign_in_for(settings, args.admin)
        if IndexLayout(settings).manifest() is None:
            from ingest.cli import human_summary
            from ingest.pipeline import run_ingest

            log.info("no index of this version in %s yet: running ingest first", settings.index_dir)
            log.info("%s", human_summary(run_ingest(settings)))
        app = create_app(settings, admin=args.admin)
    except CaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code

    import uvicorn

    from assistant.edge import server_config

    log.info("serving on http://%s:%d", settings.host, settings.port)
    uvicorn.Server(server_config(app, settings)).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
