"""`python app.py`: the chat on http://127.0.0.1:7860 and POST /api/ask beside it.

With no index yet it runs ingest first.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from assistant.errors import CaseError
from assistant.settings import Settings
from assistant.store import IndexLayout

log = logging.getLogger("app")


def refresher(settings: Settings):
    """Re-run ingest (fetching sources) from the UI, reporting progress as it goes."""
    from ingest.cli import human_summary
    from ingest.pipeline import run_ingest

    def refresh(progress) -> str:
        return human_summary(run_ingest(settings, fetch=True, progress=progress))

    return refresh


def create_app(settings: Settings, admin: bool = False):
    """The FastAPI app: the API routes, then the Gradio UI mounted at '/'."""
    import gradio as gr
    from fastapi import FastAPI

    from assistant.api import build_router
    from assistant.service import Assistant
    from assistant.ui import CSS, build_ui

    assistant = Assistant(settings=settings)
    assistant.warm_up()
    credentials = settings.credentials()
    app = FastAPI(title="Case Assistant", version="0.1.0")
    app.include_router(build_router(assistant, credentials))
    demo = build_ui(assistant, admin=admin or credentials is not None, refresh=refresher(settings))
    demo.queue(default_concurrency_limit=settings.ui_concurrency, max_size=settings.queue_size)
    return gr.mount_gradio_app(app, demo, path="/", css=CSS, footer_links=["api"], auth=credentials,
                               auth_message="Case Assistant: sign in")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default GRADIO_SERVER_PORT or 7860)")
    parser.add_argument("--admin", action="store_true", help="offer 'Refresh sources' (re-run ingest) in the UI")
    args = parser.parse_args(argv)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home from a closed network
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        settings = Settings.load()
        if args.host:
            settings = settings.model_copy(update={"host": args.host})
        if args.port:
            settings = settings.model_copy(update={"port": args.port})
        if IndexLayout(settings).current_dir() is None:
            from ingest.cli import human_summary
            from ingest.pipeline import run_ingest

            log.info("no index in %s yet: running ingest first", settings.index_dir)
            log.info("%s", human_summary(run_ingest(settings)))
        app = create_app(settings, admin=args.admin)
    except CaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code

    import uvicorn

    log.info("serving on http://%s:%d", settings.host, settings.port)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", timeout_graceful_shutdown=5)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
