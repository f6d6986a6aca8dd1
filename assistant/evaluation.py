"""Score a question set in the shared dev_qa.jsonl format with the same rules as the
acceptance scorer, and add retrieval figures (was a supporting passage among the top ones?)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import CaseError
from .types import Answer

def norm_text(s: str | None) -> str:
    return re.sub(r"\s+", " ", s or "").strip().lower()


def has_phrase(phrase: str, text: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(norm_text(phrase)) + r"(?!\w)", text) is not None


@dataclass
class EvalResult:
    max_words: int  # the scorer's rule for a concise answer (Settings.eval_max_words)
    in_scope: int = 0
    correct: int = 0
    supported: int = 0
    concise: int = 0
    out_of_scope: int = 0
    abstained_ok: int = 0
    retrieval_hits: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> str:
        n, o = self.in_scope or 1, self.out_of_scope or 1
        return (f"answered {self.correct}/{self.in_scope}, correct+cited+<= {self.max_words} words "
                f"{self.concise}/{self.in_scope} ({100 * self.concise / n:.0f}%), "
                f"supporting passage cited {self.retrieval_hits}/{self.in_scope}, "
                f"abstained {self.abstained_ok}/{self.out_of_scope} out-of-scope ({100 * self.abstained_ok / o:.0f}%)")

    def short(self) -> str:
        """One kind's line: answered correctly (cited, concise) and declined, of how many."""
        parts = []
        if self.in_scope:
            parts.append(f"correct+cited {self.concise}/{self.in_scope}")
        if self.out_of_scope:
            parts.append(f"declined {self.abstained_ok}/{self.out_of_scope}")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def without_missing_documents(item: dict[str, Any], held: set[str]) -> dict[str, Any]:
    """A question about follow-up documents (``docs``) the index does not hold is one its
    sources cannot answer: it is scored as one to decline (as training asks it without them)."""
    if set(item.get("docs") or ()) <= held:
        return item
    return {"id": item["id"], "kind": "update asked without its document", "question": item["question"],
            "history": item.get("history"), "abstain": True}


def load_questions(path: Path) -> list[dict[str, Any]]:
    items = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseError(f"{path}: cannot be read ({exc})") from None
    for no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CaseError(f"{path}:{no}: not valid JSON ({exc.msg})") from None
        if not isinstance(item, dict) or not isinstance(item.get("question"), str):
            raise CaseError(f"{path}:{no}: each line needs a string field 'question'")
        item.setdefault("id", str(no))
        items.append(item)
    return items


@dataclass(frozen=True)
class Verdict:
    """One answer against its gold item, by the acceptance scorer's rules."""

    abstain: bool  # the item should be declined
    right: bool  # declined when it should be; else holds the answer phrase(s) and was not declined
    supported: bool  # a citation holds a supporting phrase
    concise: bool  # within the word limit
    #: For a passed answer that leads with a short answer: whether a gold phrase is in it (None
    #: without one). The acceptance scorer reads the whole text only, so a wrong bolded phrase
    #: before a right sentence passes it; this is counted apart.
    short_right: bool | None = None

    @property
    def passed(self) -> bool:
        return self.right if self.abstain else self.right and self.supported and self.concise


def verdict(gold: dict[str, Any], answer: Answer, max_words: int) -> Verdict:
    text = norm_text(answer.answer)
    if gold.get("abstain"):
        return Verdict(True, answer.abstained, True, True)
    cits = [norm_text(" ".join(str(v or "") for v in (c.text, c.quote, c.title, c.url))) for c in answer.citations]
    hay = text + " " + " ".join(cits) if gold.get("match_sources") else text
    wanted = gold.get("answer_all") or gold.get("answer_any") or []
    ok = (all if gold.get("answer_all") else any)(has_phrase(x, hay) for x in wanted) and not answer.abstained
    sup = any(has_phrase(x, t) for x in gold.get("support_any", []) for t in cits)
    short = norm_text(answer.short or "")
    short_right = any(has_phrase(x, short) for x in wanted) if short and wanted and ok else None
    return Verdict(False, ok, sup, len(text.split()) <= max_words, short_right)


def score_answer(gold: dict[str, Any], answer: Answer, result: EvalResult) -> None:
    v = verdict(gold, answer, result.max_words)
    if v.abstain:
        result.out_of_scope += 1
        if v.right:
            result.abstained_ok += 1
        else:
            result.failures.append({"id": gold["id"], "why": "should abstain", "answer": answer.answer})
        return
    result.in_scope += 1
    result.correct += v.right
    result.supported += v.right and v.supported
    result.concise += v.passed
    result.retrieval_hits += v.supported
    if not v.passed:
        why = [w for w, bad in (("wrong", not v.right), ("uncited", not v.supported), ("too long", not v.concise))
               if bad]
        result.failures.append({"id": gold["id"], "why": ",".join(why), "question": gold["question"],
                                "answer": answer.answer})


def unrelated_history(items: list[dict[str, Any]], index: int) -> list[dict[str, str]]:
    """Three earlier turns about other things: questions of the set from elsewhere in it,
    each with its gold answer phrase as the reply."""
    others = [it for j, it in enumerate(items) if j != index and not it.get("history") and not it.get("abstain")
              and (it.get("answer_any") or it.get("answer_all"))]
    if not others:
        return []
    turns: list[dict[str, str]] = []
    for k in (7, 19, 31):
        it = others[(index + k) % len(others)]
        reply = (it.get("answer_any") or it.get("answer_all") or [""])[0]
        turns += [{"role": "user", "content": it["question"]}, {"role": "assistant", "content": reply}]
    return turns
