"""`python -m assistant ask|eval|train|status|timeline|people`: the assistant from a terminal or a script."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from .casefile import Casefile
from .errors import BadQuestionError, CaseError
from .render import human_date
from .settings import Settings
from .types import speaker_label


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m assistant", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="answer a question, or every line of a JSONL file")
    ask.add_argument("question", nargs="?", help="the question")
    ask.add_argument("--index", type=Path, help="index folder (default: CASE_INDEX_DIR or ./data/index)")
    ask.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    ask.add_argument("--jsonl", type=Path, help="questions file: one {id, question, history?} per line")
    ev = sub.add_parser("eval", help="score a question set (dev_qa.jsonl format); without one, the answer "
                                     "model's train, validation and k-fold figures per kind")
    ev.add_argument("file", type=Path, nargs="?")
    ev.add_argument("--index", type=Path)
    ev.add_argument("--json", action="store_true", help="end stdout with the figures as JSON")
    ev.add_argument("--folds", type=int, default=5, help="k of the k-fold estimate (without a file)")
    ev.add_argument("--fold-draws", type=int, default=1,
                    help="run the k-fold over this many draws of the folds and print each total (without a file)")
    tr = sub.add_parser("train", help="fit the answer model on the train split and write it")
    tr.add_argument("--out", type=Path, help="where to write it (default: the shipped model file)")
    tr.add_argument("--resplit", action="store_true", help="split the question sets into train and validation "
                                                            "anew (by the fixed seed)")
    tr.add_argument("--extend-split", action="store_true", help="put questions added to the sets since the split "
                                                                "into it, the others where they are")
    tr.add_argument("--check", action="store_true", help="refit and compare with the model file: exit 1 if they "
                                                         "differ")
    ex = sub.add_parser("export-model", help="export the embedding model to ONNX (once per install)")
    ex.add_argument("--if-missing", action="store_true", help="do nothing when a current export exists")
    st = sub.add_parser("status", help="what the index holds")
    st.add_argument("--index", type=Path)
    st.add_argument("--json", action="store_true")
    tl = sub.add_parser("timeline", help="the case's dated events, who tells them and where")
    tl.add_argument("--index", type=Path)
    tl.add_argument("--json", action="store_true", help='print {"events": [...]}')
    pe = sub.add_parser("people", help="who's who: the people, organisations and places of the case")
    pe.add_argument("--index", type=Path)
    pe.add_argument("--json", action="store_true", help='print {"entities": [...]}')
    return p


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.load(**({"index_dir": args.index} if args.index else {}))


def format_answer(answer: dict[str, Any]) -> str:
    if answer["abstained"] or not answer.get("parts"):
        lines = [answer["answer"]]
    else:  # each sentence under who says it: "[Forrest alleges] According to Forrest, ..."
        lines = [answer["short"]] if answer.get("short") else []  # the short answer on a line of its own
        lines += [(f"[{p['speaker']} {p['stance']}] " if p["stance"] != "reports" and not p["carried"] else "")
                  + f"{p['text']} [{p['n']}]" for p in answer["parts"]]
    for c in answer["citations"]:
        where = ", ".join(x for x in (c["publisher"], c["date"], c["url"]) if x)
        lines.append(f"  [{c['n']}] {c['title']}" + (f" ({where})" if where else "")
                     + f" ({c['speaker']} {c['stance']}; {c['kind']})")
        lines.append(f"      \"{c['quote']}\"" if c["kind"] == "passage" else f"      {c['quote']}")
    if answer.get("related"):
        lines.append("Closest passages:")
        lines += [f"  - {c['title']} ({c['publisher']}): \"{c['quote']}\"" for c in answer["related"]]
    return "\n".join(lines)


def _ask(args: argparse.Namespace) -> int:
    from .service import Assistant

    assistant = Assistant(settings=_settings(args))
    if args.jsonl is None:
        if args.question is None:
            raise BadQuestionError("give a question, or --jsonl FILE")
        answer = assistant.ask(args.question).to_dict()
        print(json.dumps(answer, ensure_ascii=False) if args.json else format_answer(answer))
        return 0
    from .evaluation import load_questions

    status = 0
    for item in load_questions(args.jsonl):
        try:
            out = assistant.ask(item["question"], item.get("history")).to_dict()
        except BadQuestionError as exc:
            out, status = {"error": str(exc)}, 1
        print(json.dumps({"id": item["id"], **out}, ensure_ascii=False), flush=True)
    return status


def _eval(args: argparse.Namespace) -> int:
    if args.file is None:
        return _eval_model(args)
    from .evaluation import EvalResult, load_questions, score_answer, unrelated_history, without_missing_documents
    from .service import Assistant

    settings = _settings(args)
    assistant = Assistant(settings=settings)
    result = EvalResult(max_words=settings.eval_max_words)
    by_kind: dict[str, EvalResult] = {}
    held = {d.doc_id for d in assistant.documents()}
    items = [without_missing_documents(item, held) for item in load_questions(args.file)]
    for i, item in enumerate(items):
        kinds = [item.get("kind") or ("follow-up" if item.get("history") else
                                      "unanswerable" if item.get("abstain") else "in scope")]
        # (history, counts in the set's own figures, kinds it counts under)
        runs = [(item.get("history"), True, kinds)]
        # Each standalone question again after three turns about other things: the same answer.
        if not item.get("history") and not item.get("abstain"):
            runs.append((unrelated_history(items, i), False, ["after three unrelated turns"]))
        for history, own, labels in runs:
            answer = assistant.ask(item["question"], history)
            if own:
                score_answer(item, answer, result)
            for label in labels:
                score_answer(item, answer, by_kind.setdefault(label, EvalResult(max_words=settings.eval_max_words)))
    for f in result.failures:
        print(f"  FAIL {f['id']} {f['why']}: {f['answer'][:110]}")
    for label, r in sorted(by_kind.items()):
        print(f"  {label:28} {r.short()}")
    print(result.summary())
    if args.json:
        print(json.dumps({**result.to_dict(), "by_kind": {k: v.to_dict() for k, v in by_kind.items()}}))
    return 0


def _eval_model(args: argparse.Namespace) -> int:
    from .answerability.training import evaluate

    settings = Settings.load()
    figures = evaluate(settings, settings.eval_work_dir, folds=args.folds, draws=args.fold_draws)
    draws = figures.pop("k-fold draws")
    kinds = sorted({k for by_kind in figures.values() for k in by_kind})
    print(f"{'kind':36} {'train':>16} {'validation':>16} {'k-fold':>16}")
    for kind in kinds + ["all"]:
        cells = []
        for name in ("train", "validation", "k-fold"):
            rows = figures[name].values() if kind == "all" else [figures[name].get(kind)]
            rows = [r for r in rows if r]
            ok = sum(r["answered"] + r["declined"] for r in rows)
            n = sum(r["answerable"] + r["unanswerable"] for r in rows)
            cells.append(f"{ok}/{n} ({100 * ok / n:.0f}%)" if n else "-")
        print(f"{kind:36} {cells[0]:>16} {cells[1]:>16} {cells[2]:>16}")
    # Of the passed answers that lead with a short phrase, those whose phrase holds a gold one.
    cells = []
    for name in ("train", "validation", "k-fold"):
        right = sum(r.get("short_right", 0) for r in figures[name].values())
        n = sum(r.get("short", 0) for r in figures[name].values())
        cells.append(f"{right}/{n} ({100 * right / n:.0f}%)" if n else "-")
    print(f"{'short answer right, of those passed':36} {cells[0]:>16} {cells[1]:>16} {cells[2]:>16}")
    if len(draws["passed"]) > 1:
        passed = draws["passed"]
        print(f"k-fold over {len(passed)} draws of the folds: {', '.join(map(str, passed))} of {draws['items']} "
              f"(mean {sum(passed) / len(passed):.1f})")
    if args.json:
        print(json.dumps({**figures, "k-fold draws": draws}))
    return 0


def _train(args: argparse.Namespace) -> int:
    from .answerability.model import MODEL_FILE
    from .answerability.training import train

    settings = Settings.load()
    target = args.out or MODEL_FILE
    out = settings.eval_work_dir / "refit.json" if args.check else target
    out.parent.mkdir(parents=True, exist_ok=True)
    model = train(settings, settings.eval_work_dir, out, resplit=args.resplit, extend=args.extend_split)
    t = model.thresholds
    print(f"fitted on {model.fitted['questions']} questions ({model.fitted['candidates']} candidates, "
          f"{model.fitted['answering']} answering), C={model.fitted['C_selector']}/{model.fitted['C_answerable']}; "
          f"thresholds: answer {t.answer} ({t.answer_typed} for a kind of thing), "
          f"keep {t.keep}, side {t.side}, far {t.far}; written to {out}")
    if args.check:
        same = out.read_text(encoding="utf-8") == target.read_text(encoding="utf-8")
        out.unlink()
        print("the refit equals the model file" if same else f"the refit differs from {target}")
        return 0 if same else 1
    return 0


def status_figures(settings: Settings) -> dict[str, Any]:
    from .index import require_index

    gen, manifest = require_index(settings)
    return {
        "documents": len(manifest.documents), "passages": manifest.passages, "model": manifest.model,
        "last_ingest": manifest.built_at, "digest": manifest.digest, "generation": gen.name,
        "sources": [s.to_report() for s in manifest.sources],
    }


def _status(args: argparse.Namespace) -> int:
    figures = status_figures(_settings(args))
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"{figures['documents']} documents, {figures['passages']} passages, model {figures['model']}, "
              f"last ingest {figures['last_ingest']}, digest {figures['digest'][:16]}")
    return 0


def _casefile(args: argparse.Namespace) -> Casefile:
    """The live generation's casefile, read without the model or the retrieval snapshot
    (a timeline needs neither); no index is the same error ``ask`` gives."""
    from .index.reader import IndexReader

    reader = IndexReader.live(_settings(args))
    try:
        return reader.casefile()
    finally:
        reader.close()


def format_event(event: dict[str, Any]) -> str:
    """One line: "June 2024  GIGAZINE reports  filed a lawsuit ... [GIGAZINE, passage <id>]"."""
    when = human_date(event["start"]) if event["end"] == event["start"] else \
        f"{human_date(event['start'])} to {human_date(event['end'])}"
    who = speaker_label(event["speaker"], event["stance"])
    src = event["source"]
    where = ", ".join(x for x in (src["publisher"] or src["title"], f"passage {src['passage_id']}") if x)
    return f"{when:<16} {who:<22} {event['label']} [{where}]"


def format_entity(entity: dict[str, Any]) -> str:
    """One line: "Charles Forrest (person): GIGAZINE reports: a former AWS employee — 5 passages"."""
    who = speaker_label(entity.get("speaker", ""), entity.get("stance", ""))
    role = f"{who}: {entity['role']}" if who and entity["role"] else entity["role"]
    n = len(entity["mentions"])
    aka = f" [also {', '.join(entity['aliases'])}]" if entity["aliases"] else ""
    return f"{entity['name']} ({entity['kind']}){aka}: {role or '-'} \u2014 {n} passage{'s' if n != 1 else ''}"


def _timeline(args: argparse.Namespace) -> int:
    events = [e.to_dict() for e in _casefile(args).events]
    print(json.dumps({"events": events}, ensure_ascii=False) if args.json
          else "\n".join(format_event(e) for e in events) or "no dated events in the index")
    return 0


def _people(args: argparse.Namespace) -> int:
    entities = [e.to_dict() for e in _casefile(args).entities]
    print(json.dumps({"entities": entities}, ensure_ascii=False) if args.json
          else "\n".join(format_entity(e) for e in entities) or "no one named in the index")
    return 0


def _export(args: argparse.Namespace) -> int:
    from .embedding import export_folder, export_model, read_export, resolve_model

    settings = Settings.load()
    folder = export_folder(settings.onnx_dir, settings.embedding_model)
    if args.if_missing and read_export(folder, resolve_model(settings.embedding_model)) is not None:
        print(f"{settings.embedding_model}: ONNX export in {folder} is current")
        return 0
    meta = export_model(settings)
    print(f"{settings.embedding_model}: exported to {folder} in {meta['seconds']} s; largest difference from "
          f"sentence-transformers {meta['max_abs_diff']:.1e}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        return {"ask": _ask, "eval": _eval, "status": _status, "export-model": _export, "timeline": _timeline,
                "people": _people, "train": _train}[args.command](args)
    except CaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
