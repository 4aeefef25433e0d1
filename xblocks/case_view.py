"""The learner's case page: `case_teaching.learner_view` turned into template context.

Only the domain's learner view goes in (it holds nothing the learner has not earned); here its
values become sentences in the learner's language, so templates hold literal strings only.
Author HTML arrives sanitized by the domain schema and is marked safe here, field by field.
"""

from typing import Any

from django.utils.safestring import mark_safe

from .messages import N_
from .numbers import count_text, points_text

#: Between the items of a list in one line (、 in Chinese).
LIST_SEPARATOR = N_(", ")

RELEVANCE = {
    "essential": N_("Essential"),
    "useful": N_("Useful"),
    "unnecessary": N_("Not needed"),
    "harmful": N_("Harmful"),
}
FINDING_KINDS = {
    "history": N_("History"),
    "examination": N_("Examination"),
    "investigation": N_("Investigation"),
}
SEX = {"female": N_("female"), "male": N_("male")}
TIERS = {
    "primary": N_("primary care"),
    "secondary": N_("secondary hospital"),
    "tertiary": N_("tertiary hospital"),
}
TITLES = {"junior": N_("junior"), "intermediate": N_("intermediate"), "senior": N_("senior")}
QUESTION_HINTS = {
    "single_choice": N_("Choose one answer."),
    "multiple_choice": N_("Choose all that apply."),
    "key_feature": N_(
        "Choose up to {count} answers: only the critical decisions score. More than {count}, "
        "or a harmful choice, scores zero."
    ),
    "ranking": N_("Put the items in order, most likely first. Use the arrow buttons."),
    "script_concordance": N_(
        "How does the new information change the hypothesis? One attempt: your first judgement "
        "counts."
    ),
    "numeric": N_("Enter a number in {unit}."),
    "reflection": N_("Write at least {count} characters. Your teachers can read this."),
}
NOTICES = {
    "case_updated_progress_kept": N_(
        "The author has updated this case since your last visit. Your answers were kept and "
        "scored with the updated case."
    ),
    "case_changed_restarted": N_(
        "The author has changed this case since your last visit, so it starts again from the "
        "beginning."
    ),
    "case_updated_result_kept": N_(
        "The author has changed this case since you finished it. Your result is kept as you "
        "earned it; the parts of your answers that are no longer in the case are not shown."
    ),
    "attempt_reset": N_("Course staff have reset your attempt: the case starts again."),
}
#: The same, for a learner whose page was open during the edit: their last action was not
#: applied (it was made on the case as it was), and they are told so.
NOTICES_WHILE_OPEN = {
    "case_updated_progress_kept": N_(
        "The author updated this case while you had it open. Your answers so far were kept, "
        "but your last action was not applied: look at the updated page and do it again."
    ),
    "case_changed_restarted": N_(
        "The author changed this case while you had it open, and your answers no longer fit "
        "it: the case starts again from the beginning. Your last action was not applied."
    ),
    "case_updated_result_kept": NOTICES["case_updated_result_kept"],
}


def _number(value: float) -> str:
    return f"{value:g}"


def _ensure_list(values) -> list:
    return list(values or [])


def _order_rows(mine: list[str], expert: list[str]) -> list[dict[str, Any]]:
    """A ranking's orders side by side, place by place."""
    return [
        {"number": index + 1, "mine": own, "expert": theirs, "same": own == theirs}
        for index, (own, theirs) in enumerate(zip(mine or [""] * len(expert), expert, strict=True))
    ]


class CaseViewModel:
    """Builds the template context from a learner view, translating with `gettext`."""

    def __init__(self, gettext, ngettext=None):
        self._ = gettext
        self.ngettext = ngettext or (lambda s, p, n: gettext(s if n == 1 else p))

    def _known(self, english: str) -> str:
        """A domain text marked for translation where it is defined (clinical scores)."""
        return self._(english)

    def _label(self, labels: dict[str, str], key: str) -> str:
        return self._(labels[key])

    def notice(self, notice: str | None, while_open: bool = False) -> str:
        """The sentence for a notice code ("" for none); `while_open`: said to a page that
        was open when it happened (its action was not applied)."""
        notices = NOTICES_WHILE_OPEN if while_open else NOTICES
        return self._label(notices, notice) if notice in notices else ""

    def context(
        self, view: dict[str, Any], notice: str | None = None, while_open: bool = False
    ) -> dict[str, Any]:
        case = view["case"]
        progress = view["progress"]
        return {
            "step": view["step"],
            "notice": self.notice(notice, while_open),
            "case": self._header(case),
            "progress": {
                "position": progress["position"],
                "total": progress["total"],
                "completed": progress["completed"],
                "label": self._("Stage {position} of about {total}").format(
                    position=progress["position"], total=progress["total"]
                ),
                "score": self._points(progress["score"], progress["max_score"]),
                "spent": self._spent(
                    progress["minutes_spent"], progress["money_spent"], case["currency"]
                ),
            },
            "history": [self._stage(s, case["currency"]) for s in view["history"]],
            "stage": self._stage(view["stage"], case["currency"]) if view["stage"] else None,
            "summary": self._summary(view["summary"], case["currency"])
            if view["summary"]
            else None,
        }

    # ---- pieces -----------------------------------------------------------------------------
    def _points(self, earned: float, possible: float) -> str:
        return points_text(self.ngettext, earned, possible)

    def _money(self, money: float, currency: str) -> str:
        """An amount as the reader writes it: "120 元" in Chinese for yuan."""
        if currency == "CNY":
            return self._("{amount} CNY").format(amount=_number(money))
        return f"{_number(money)} {currency}"

    def _spent(self, minutes: int, money: float, currency: str) -> str:
        if not minutes and not money:
            return ""
        return self._("Time used: {minutes} min; cost: {cost}").format(
            minutes=minutes, cost=self._money(money, currency)
        )

    def _cost(self, minutes: int, money: float, currency: str) -> str:
        parts = []
        if minutes:
            parts.append(self._("{minutes} min").format(minutes=minutes))
        if money:
            parts.append(self._money(money, currency))
        return self._(LIST_SEPARATOR).join(parts)

    def _header(self, case: dict[str, Any]) -> dict[str, Any]:
        patient = case["patient"]
        age = self._age(patient["age_years"], patient["age_months"])
        if patient.get("weight_kg"):
            age += ", " + self._("{weight} kg").format(weight=_number(patient["weight_kg"]))
        return {
            "title": case["title"],
            "summary": mark_safe(case["summary"]),  # noqa: S308 (sanitized by the schema)
            "discipline": case["discipline"],
            "patient": self._("Patient: {age}, {sex}. Setting: {setting}").format(
                age=age, sex=self._label(SEX, patient["sex"]), setting=patient["setting"]
            ),
            "minutes": self._("About {minutes} minutes").format(minutes=case["estimated_minutes"]),
            "audience": self._("For: {tiers}; {titles} titles").format(
                tiers=", ".join(self._label(TIERS, t) for t in case["target_tiers"]),
                titles=", ".join(self._label(TITLES, t) for t in case["target_titles"]),
            ),
            "objectives": case["learning_objectives"],
            "summary_at_end": case["summary_after_case"],
            "competencies": case["competencies"],
            "authors": ", ".join(case["authors"]),
            "guidelines": case["guidelines"],
        }

    def _age(self, years: int, months: int) -> str:
        """Under two in months ("14 months old", as a paediatrician says), else in years and
        any months given."""
        if years < 2:
            total = years * 12 + months
            return self.ngettext("{count} month old", "{count} months old", total).format(
                count=total
            )
        if months:
            return self.ngettext(
                "{years} years and {months} month old",
                "{years} years and {months} months old",
                months,
            ).format(years=years, months=months)
        return self.ngettext("{years} year old", "{years} years old", years).format(years=years)

    def _stage(self, stage: dict[str, Any], currency: str) -> dict[str, Any]:
        obtained = [self._finding(f, currency) for f in stage["findings_obtained"]]
        available = [
            {
                "id": f["id"],
                "label": f["label"],
                "kind": self._label(FINDING_KINDS, f["kind"]),
                "cost": self._cost(f["minutes"], f["money"], currency),
            }
            for f in stage.get("findings_available", [])
        ]
        groups = []
        for kind, label in FINDING_KINDS.items():
            items = [
                a
                for a, f in zip(available, stage.get("findings_available", []), strict=True)
                if f["kind"] == kind
            ]
            if items:
                groups.append({"label": self._(label), "items": items})
        questions = [
            self._question(q, number) for number, q in enumerate(stage["questions"], start=1)
        ]
        scores = [self._score(score) for score in stage.get("scores", [])]
        return {
            "id": stage["id"],
            "title": stage["title"],
            "content": mark_safe(stage["content"]),  # noqa: S308 (sanitized by the schema)
            "media": stage["media"],
            "findings": obtained,
            "scores": scores,
            "finding_groups": groups,
            "questions": questions,
            "ending": stage["ending"],
            "can_continue": stage.get("can_continue", False),
            "open_questions": any(q["can_answer"] and q["required"] for q in questions),
        }

    def _finding(self, finding: dict[str, Any], currency: str) -> dict[str, Any]:
        measured = ""
        if finding["value"]:
            measured = " ".join(x for x in (finding["value"], finding["unit"] or "") if x)
            if finding["normal_range"]:
                measured += " " + self._("(normal: {range})").format(range=finding["normal_range"])
        penalty = ""
        if finding["penalty"]:
            penalty = self._("Penalty: {points}").format(
                points=count_text(self.ngettext, finding["penalty"])
            )
        return {
            "id": finding["id"],
            "label": finding["label"],
            "kind": self._label(FINDING_KINDS, finding["kind"]),
            "result": mark_safe(finding["result"]),  # noqa: S308 (sanitized by the schema)
            "measured": measured,
            "relevance": finding["relevance"],
            "relevance_label": self._label(RELEVANCE, finding["relevance"]),
            "feedback": mark_safe(finding["feedback"]),  # noqa: S308 (sanitized by the schema)
            "cost": self._cost(finding["minutes"], finding["money"], currency),
            "penalty": penalty,
        }

    def _score(self, score: dict[str, Any]) -> dict[str, Any]:
        """A computed clinical score: each item with its points, the total and its meaning."""
        return {
            "id": score["id"],
            "name": self._known(score["name"]),
            "items": [
                {"label": self._known(item["label"]), "points": _number(item["points"])}
                for item in score["items"]
            ],
            "total": self._("Total: {total}").format(total=_number(score["total"])),
            "meaning": self._known(score["meaning"]) if score["meaning"] else "",
            "feedback": mark_safe(score["feedback"]),  # noqa: S308 (sanitized by the schema)
        }

    def _question(self, question: dict[str, Any], number: int = 1) -> dict[str, Any]:
        kind = question["kind"]
        answer = question["answer"]
        allowed, used = question["attempts_allowed"], question["attempts_used"]
        closed = bool(answer and answer["closed"])
        can_answer = not closed and used < allowed
        count = question.get("max_selections") or question.get("min_chars") or 0
        hint = self._label(QUESTION_HINTS, kind).format(count=count, unit=question.get("unit"))
        vm: dict[str, Any] = {
            "id": question["id"],
            "kind": kind,
            # The form's <legend> is short text; the prompt (author HTML, maybe paragraphs and
            # lists) is shown beside it and describes the group.
            "legend": self._("Question {number}").format(number=number),
            "prompt": mark_safe(question["prompt"]),  # noqa: S308 (sanitized by the schema)
            "hint": hint,
            "required": question["required"],
            "points": count_text(self.ngettext, question["points"]) if question["points"] else "",
            "input": {"single_choice": "radio", "script_concordance": "radio"}.get(
                kind, "checkbox"
            ),
            "options": question.get("options", []),
            "hypothesis": question.get("hypothesis", ""),
            "new_information": mark_safe(question.get("new_information", "")),  # noqa: S308
            "unit": question.get("unit", ""),
            "min_chars": question.get("min_chars", 0),
            "max_chars": question.get("max_chars", 0),
            "can_answer": can_answer,
            "attempts": self._("Attempt {next} of {allowed}").format(next=used + 1, allowed=allowed)
            if can_answer and allowed > 1
            else "",
            "answer": self._answer(question, answer) if answer else None,
        }
        return vm

    def _answer(self, question: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        last = answer["attempts"][-1]
        options = {o["id"]: o["text"] for o in question.get("options", [])}
        credit = answer["credit"]
        tone = "good" if credit >= 1 else ("partial" if credit > 0 else "poor")
        if question["kind"] == "reflection":
            tone, result = "good", self._("Your reflection is saved.")
        elif last.get("over_limit"):
            result = self._(
                "You chose more than {count} answers: the question scores zero."
            ).format(count=last["over_limit"])
        elif question["points"]:
            result = self._("You earned {points}.").format(
                points=self._points(answer["points"], question["points"])
            )
        else:
            result = self._("Answer saved.")
        return {
            "text": last.get("text", ""),
            "order": [options.get(o, o) for o in last.get("order", [])],
            "feedback": [
                {"text": f["text"], "feedback": mark_safe(f["feedback"])}  # noqa: S308
                for f in last.get("feedback", [])
            ],
            "tone": tone,
            "result": result,
            "closed": answer["closed"],
            "value": self._given_number(last, question.get("unit", "")),
            "key": self._number_key(answer.get("key")),
            "commentary": mark_safe(answer.get("commentary") or ""),  # noqa: S308
        }

    def _given_number(self, attempt: dict[str, Any], unit: str) -> str:
        if attempt.get("value") is None:
            return ""
        return self._("Your answer: {value} {unit}").format(
            value=_number(attempt["value"]), unit=unit
        )

    def _number_key(self, key: dict[str, Any] | None) -> str:
        """The expected number with how it is worked out and what was accepted."""
        if not key:
            return ""
        value = f"{_number(key['value'])} {key['unit']}"
        parts = []
        if key["per_kg"]:
            parts.append(
                self._("{dose} {unit}/kg × {weight} kg").format(
                    dose=_number(key["per_kg"]),
                    unit=key["unit"],
                    weight=_number(key["weight_kg"] or 0),
                )
            )
        if key["per_year"]:
            parts.append(
                self._("{amount} {unit}/year × {age} years").format(
                    amount=_number(key["per_year"]),
                    unit=key["unit"],
                    age=_number(key["age_years"]),
                )
            )
        if parts and key["fixed"]:
            parts.append(f"{_number(key['fixed'])} {key['unit']}")
        working = " + ".join(parts)
        if key["capped"]:
            working += " " + self._("(capped at the maximum of {maximum} {unit})").format(
                maximum=_number(key["maximum"]), unit=key["unit"]
            )
        margins = []
        if key["tolerance_percent"]:
            margins.append(f"±{_number(key['tolerance_percent'])}%")
        if key["tolerance"]:
            margins.append(f"±{_number(key['tolerance'])} {key['unit']}")
        margin = ""
        if margins:
            margin = self._("accepted within {tolerance}").format(tolerance=" / ".join(margins))
        details = "; ".join(text for text in (working, margin) if text)
        expected = self._("Expected: {value}").format(value=value)
        return f"{expected} ({details})" if details else expected

    def _decision(self, decision: dict[str, Any]) -> dict[str, Any]:
        """One question of the end summary: what the learner answered beside the expert."""
        answer = decision["answer"] or {}
        credit = decision["credit"]
        expert = decision["expert"] or {}
        unit = (expert.get("number") or {}).get("unit", "")
        return {
            "prompt": mark_safe(decision["prompt"]),  # noqa: S308 (sanitized by the schema)
            "result": self._points(decision["points"], decision["max_points"]),
            "tone": "good" if credit >= 1 else ("partial" if credit > 0 else "poor"),
            "unanswered": decision["answer"] is None,
            "chosen": [f["text"] for f in answer.get("feedback", [])],
            "given": self._given_number(answer, unit),
            "order_rows": _order_rows(decision["learner_order"], expert.get("order") or []),
            "expert": self._expert(expert),
            "feedback": [
                mark_safe(f["feedback"])  # noqa: S308 (sanitized by the schema)
                for f in answer.get("feedback", [])
                if f["feedback"]
            ],
            "commentary": mark_safe(decision["commentary"]),  # noqa: S308
        }

    def _expert(self, expert: dict[str, Any]) -> dict[str, Any]:
        """The expert's answer as lines the summary shows."""
        panel = [
            self.ngettext("{text}: {count} expert", "{text}: {count} experts", p["experts"]).format(
                text=p["text"], count=p["experts"]
            )
            for p in expert.get("panel", [])
        ]
        return {
            "options": _ensure_list(expert.get("options")),
            "also": _ensure_list(expert.get("partial")),
            "dangerous": _ensure_list(expert.get("dangerous")),
            "order": _ensure_list(expert.get("order")),
            "panel": panel,
            "number": self._number_key(expert.get("number")),
        }

    def _summary(self, summary: dict[str, Any], currency: str) -> dict[str, Any]:
        path = summary["path"]
        expert = summary["expert_path"]
        rows = []
        for index in range(max(len(path), len(expert))):
            mine = path[index]["title"] if index < len(path) else ""
            theirs = expert[index]["title"] if index < len(expert) else ""
            rows.append(
                {"number": index + 1, "mine": mine, "expert": theirs, "same": mine == theirs}
            )
        return {
            "score": self._("Your score: {points} ({percent}%).").format(
                points=self._points(summary["score"], summary["max_score"]),
                percent=round(summary["fraction"] * 100),
            ),
            "passed": summary["passed"],
            "verdict": self._("Passed: the pass mark is {percent}%.").format(
                percent=round(summary["pass_threshold"] * 100)
            )
            if summary["passed"]
            else self._(
                "Not passed: one of your answers chose what would harm the patient, and a case "
                "is never passed after that, whatever the points."
            )
            if summary.get("harmful_choice")
            else self._("Not passed yet: the pass mark is {percent}%.").format(
                percent=round(summary["pass_threshold"] * 100)
            ),
            "paths": rows,
            "followed_expert_path": summary["followed_expert_path"],
            "decisions": [self._decision(d) for d in summary["decisions"]],
            "missed": [f["label"] for f in summary["essential_findings_missed"]],
            "unnecessary": [f["label"] for f in summary["unnecessary_findings_requested"]],
            "harmful": [f["label"] for f in summary["harmful_findings_requested"]],
            "spent": self._spent(summary["minutes_spent"], summary["money_spent"], currency),
        }
