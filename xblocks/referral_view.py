"""The learner's referral page: `referral_tracking.learner_view` turned into template context.

Only the domain's learner view goes in (it holds nothing the learner has not earned: the rule
set's answer, the rubric and the receiving hospital's reply appear after the decision, a visit
shows only what the plan monitors). Here its codes become words in the learner's language, so
that templates hold literal strings only. Texts are plain text: the templates escape them.
"""

import re
from typing import Any

from referral_tracking import RUBRIC_LABELS

from .messages import N_, translate_code
from .numbers import points_text

DISPOSITIONS = {
    "manage_locally": N_("Manage here"),
    "refer_upward": N_("Refer upward"),
    "emergency_transfer": N_("Emergency transfer"),
}
DISPOSITION_HINTS = {
    "manage_locally": N_("Treat and follow the patient at your own institution."),
    "refer_upward": N_(
        "Send the patient to a higher-level hospital of the consortium with a referral letter."
    ),
    "emergency_transfer": N_(
        "Transfer the patient now, escorted, with a referral letter. The priority is emergency."
    ),
}
#: Our three priorities; FHIR's ServiceRequest codes are routine, urgent, and asap or stat.
PRIORITIES = {
    "routine": N_("Routine: an appointment in the coming weeks"),
    "urgent": N_("Urgent: seen within a day or two"),
    "emergency": N_("Emergency: now, without delay"),
}
PRIORITY_SHORT = {"routine": N_("routine"), "urgent": N_("urgent"), "emergency": N_("emergency")}
TIERS = {
    "primary": N_("primary care (village clinic, township or community)"),
    "secondary": N_("secondary care (county hospital)"),
    "tertiary": N_("tertiary care (city or provincial hospital)"),
}
SEX = {"female": N_("female"), "male": N_("male")}
#: Between the items of a list in a sentence (an enumeration comma, "、", in Chinese).
LIST_SEPARATOR = N_(", ")
#: A code quoted in a sentence (with Chinese quotation marks in Chinese).
QUOTED_CODE = N_('"{code}"')
CLASSIFICATIONS = {
    "correct": N_("Correct: the right level of care."),
    "over_referral": N_("Over-referral: the patient did not need this level of care."),
    "under_referral": N_(
        "Under-referral: the patient needed care that your decision did not give."
    ),
    "critical_under": N_(
        "Critical under-triage: this patient needed emergency care and your decision missed "
        "it. The decision scores 0."
    ),
}
#: How the classification is coloured: a missed emergency is never shown as a mere error.
CLASSIFICATION_TONES = {"correct": "good", "critical_under": "critical"}
VISIT_CHOICES = {
    "continue": N_("Continue the plan"),
    "adjust": N_("Adjust the treatment or the plan"),
    "re_refer": N_("Refer upward again"),
}
CONTACT_STATUS = {"accepted": N_("accepted"), "declined": N_("declined")}
LETTER_ITEMS = {
    "reason": N_("Reason for referral"),
    "history": N_("History"),
    "key_findings": N_("Key findings"),
    "treatment_given": N_("Treatment given"),
    "question": N_("Your specific question for the receiving doctor"),
    "supporting_info": N_("Supporting information"),
}
#: The domain's capability and department names (schema.CAPABILITIES / DEPARTMENTS), marked
#: here for translation.
CAPABILITIES = {
    "ecg": N_("12-lead ECG"),
    "pulse_oximetry": N_("Pulse oximetry"),
    "oxygen_therapy": N_("Oxygen therapy"),
    "glucose_meter": N_("Capillary glucose"),
    "hba1c": N_("HbA1c"),
    "basic_lab": N_("Blood count, renal function, electrolytes, lipids"),
    "chest_xray": N_("Chest X-ray"),
    "spirometry": N_("Spirometry"),
    "blood_gas": N_("Arterial blood gas"),
    "echocardiography": N_("Echocardiography"),
    "ct": N_("CT"),
    "mri": N_("MRI"),
    "thrombolysis": N_("Intravenous thrombolysis for stroke"),
    "pci": N_("Percutaneous coronary intervention (PCI)"),
    "c_peptide": N_("C-peptide and islet autoantibodies"),
    "insulin_initiation": N_("Starting and titrating insulin regimens"),
    "retinal_screening": N_("Retinal screening"),
    "noninvasive_ventilation": N_("Non-invasive ventilation"),
    "rehabilitation": N_("Stroke rehabilitation"),
    "paediatric_ward": N_("Paediatric inpatient ward"),
    "picu": N_("Paediatric intensive care"),
    "nicu": N_("Neonatal intensive care"),
    "icu": N_("Adult intensive care"),
    "nebuliser": N_("Nebulised bronchodilators"),
}
DEPARTMENTS = {
    "general_practice": N_("General practice"),
    "emergency": N_("Emergency"),
    "internal_medicine": N_("Internal medicine"),
    "cardiology": N_("Cardiology"),
    "endocrinology": N_("Endocrinology"),
    "respiratory": N_("Respiratory medicine"),
    "neurology": N_("Neurology"),
    "rehabilitation": N_("Rehabilitation"),
    "obstetrics": N_("Obstetrics"),
    "paediatrics": N_("Paediatrics"),
    "picu": N_("Paediatric intensive care unit"),
    "neonatology": N_("Neonatology (NICU)"),
    "ophthalmology": N_("Ophthalmology"),
    "icu": N_("Intensive care unit"),
}
PHASES = {
    "presentation": N_("Step 1 of 4: your referral decision"),
    "declined": N_("Step 1 of 4: find a hospital that can take the patient"),
    "plan": N_("Step 2 of 4: the follow-up plan"),
    "visit": N_("Step 3 of 4: follow-up visits"),
    "completed": N_("Step 4 of 4: summary"),
}
NOTICES = {
    "attempt_reset": N_("Course staff have reset your attempt: the exercise starts again."),
    "content_updated": N_(
        "The author has updated this exercise since your last visit; your progress was kept."
    ),
    "content_changed_restarted": N_(
        "The author has changed this exercise since your last visit, so it starts again from "
        "the beginning."
    ),
}


#: What a learner tried to do, for "you cannot ... now" (the domain's action kinds).
ACTIONS = {
    "decide": N_("record a referral decision"),
    "redirect": N_("send the patient to another hospital"),
    "set_plan": N_("save a follow-up plan"),
    "visit_choice": N_("record a visit"),
}
#: Where the exercise is, for the same sentence (the domain's phases).
PHASE_NAMES = {
    "presentation": N_("the referral decision"),
    "declined": N_("finding another hospital for the patient"),
    "plan": N_("the follow-up plan"),
    "visit": N_("the follow-up visits"),
    "completed": N_("the end: it is finished"),
}


def _number(value: float) -> str:
    return f"{value:g}"


def _tone(points: float, max_points: float) -> str:
    if points >= max_points:
        return "good"
    return "partial" if points > 0 else "poor"


class ReferralViewModel:
    """Builds the template context from a learner view, translating with `gettext`.

    `chinese`: show the Chinese names authors gave institutions and rule-set terms.
    """

    def __init__(self, gettext, ngettext=None, chinese: bool = False):
        self._ = gettext
        self.ngettext = ngettext or (lambda s, p, n: gettext(s if n == 1 else p))
        self.chinese = chinese

    # ---- words for codes --------------------------------------------------------------------
    def _label(self, labels: dict[str, str], code: str | None) -> str:
        if code is None:
            return ""
        return self._(labels[code]) if code in labels else code

    def _name(self, thing: dict[str, Any]) -> str:
        """An institution's or a term's name in the learner's language, when the author gave
        one."""
        if "name" in thing:
            return (self.chinese and thing.get("name_zh")) or thing["name"]
        return (self.chinese and thing.get("label_zh")) or thing["label"]

    def join(self, items) -> str:
        """Items of a list in a sentence, separated as the learner's language does."""
        return self._(LIST_SEPARATOR).join(items)

    def _quoted_codes(self, text: str) -> str:
        """'"a", "b"' (a domain message's list of codes) quoted and separated in words."""
        codes = re.findall(r'"([^"]*)"', text)
        return self.join(self._(QUOTED_CODE).format(code=c) for c in codes) if codes else text

    def _points(self, earned: float, possible: float) -> str:
        return points_text(self.ngettext, earned, possible)

    def _days(self, days: int) -> str:
        return self.ngettext("{count} day", "{count} days", days).format(count=days)

    # ---- messages ---------------------------------------------------------------------------
    def in_words(self, params: dict[str, Any], view: dict[str, Any] | None = None) -> dict:
        """A domain message's parameters with codes in the learner's words: institutions by
        their names, tiers, departments, capabilities, actions and phases by their labels, the
        rule set by its title, the page's red flags and findings by their labels (`view`: the
        learner view the message is about, for the consortium's and rule set's names)."""
        words = dict(params)
        institutions: dict[str, dict] = {}
        terms: dict[str, str] = {}
        if view is not None:
            institutions = {i["id"]: i for i in view["options"]["institutions"]}
            institutions[view["institution"]["id"]] = view["institution"]
            terms = self._terms(view["options"], view.get("follow_up_options"))
            terms |= {f["id"]: f["label"] for f in view["scenario"]["findings"]}
            ruleset = view["ruleset"]
            if words.get("ruleset") == ruleset["id"]:
                words["ruleset"] = (self.chinese and ruleset["title_zh"]) or ruleset["title"]
        institution = institutions.get(str(words.get("institution", "")))
        if institution:
            words["institution"] = self._name(institution)
        for key, labels in (
            ("department", DEPARTMENTS),
            ("capability", CAPABILITIES),
            ("tier", TIERS),
            ("target_tier", TIERS),
            ("own_tier", TIERS),
            ("action", ACTIONS),
            ("phase", PHASE_NAMES),
            ("disposition", DISPOSITIONS),
            ("priority", PRIORITY_SHORT),
        ):
            if isinstance(words.get(key), str):
                words[key] = self._label(labels, words[key])
        if isinstance(words.get("nearest"), str):
            words["nearest"] = self._quoted_codes(words["nearest"])
        if words.get("code") in terms:
            words["code"] = terms[words["code"]]
        return words

    # ---- the whole page ---------------------------------------------------------------------
    def notice(self, notice: str | None) -> str:
        """What the learner is told on opening the exercise (staff reset, author's edit)."""
        return self._label(NOTICES, notice) if notice in NOTICES else ""

    def context(self, view: dict[str, Any], notice: str | None = None) -> dict[str, Any]:
        options = view["options"]
        institutions = {i["id"]: i for i in options["institutions"]}
        institutions[view["institution"]["id"]] = view["institution"]
        terms = self._terms(options, view.get("follow_up_options"))
        phase = view["phase"]
        context: dict[str, Any] = {
            "step": view["step"],
            "phase": phase,
            "phase_label": self._label(PHASES, phase),
            "notice": self.notice(notice),
            "score": self._points(view["score"], view["max_score"]),
            "header": self._header(view),
            "institution": self._institution(view["institution"]),
            "decision_form": self._decision_form(view) if phase == "presentation" else None,
            "decision": None,
            "feedback": None,
            "contacts": [],
            "receiving": None,
            "if_not_referred": view.get("if_not_referred", ""),
            "redirect_form": None,
            "plan_form": None,
            "plan": None,
            "visits": [],
            "current_visit": None,
            "summary": None,
        }
        if "decision" not in view:
            return context
        findings = {f["id"]: f["label"] for f in view["scenario"]["findings"]}
        context["decision"] = self._decision(view["decision"], institutions, terms, findings)
        if "feedback" in view:
            context["feedback"] = self._feedback(view["feedback"], institutions, terms)
        context["contacts"] = [self._contact(c, institutions) for c in view.get("contacts", [])]
        if "receiving_response" in view:
            context["receiving"] = self._receiving(view["receiving_response"], view, institutions)
        if phase == "declined":
            tried = {c["institution_id"] for c in view.get("contacts", [])}
            context["redirect_form"] = self._targets(view, exclude=tried)
        follow_up = view.get("follow_up_options")
        if follow_up is None:
            return context
        if phase == "plan":
            context["plan_form"] = self._plan_fields(follow_up, None)
        if "plan" in view:
            context["plan"] = self._plan(
                view["plan"], view["follow_up_feedback"], terms, view.get("plan_adjusted", False)
            )
        context["visits"] = [self._past_visit(v, terms) for v in view.get("visits", [])]
        if "current_visit" in view:
            context["current_visit"] = self._current_visit(
                view["current_visit"], terms, follow_up, view["plan"]
            )
        if "summary" in view:
            context["summary"] = self._summary(view["summary"], terms)
        return context

    def _terms(self, options: dict, follow_up: dict | None) -> dict[str, str]:
        """Code -> name for every term the rule set lets the learner choose."""
        names = {t["id"]: self._name(t) for t in options["red_flags"]}
        for group in ("monitoring_items", "targets", "re_referral_criteria"):
            for term in (follow_up or {}).get(group, []):
                names[term["id"]] = self._name(term)
        return names

    # ---- before the decision ----------------------------------------------------------------
    def _header(self, view: dict[str, Any]) -> dict[str, Any]:
        scenario, ruleset = view["scenario"], view["ruleset"]
        patient = scenario["patient"]
        years = patient["age_years"]
        if years < 1:
            age = self._("{months} months old").format(months=round(years * 12))
        else:
            age = self.ngettext("{years} year old", "{years} years old", int(years)).format(
                years=_number(years)
            )
        provenance = ruleset["provenance"]
        return {
            "title": scenario["title"],
            "patient": self._("Patient: {age}, {sex}.").format(
                age=age, sex=self._label(SEX, patient["sex"])
            ),
            "downward": scenario["arrived_by_downward_referral"],
            "presentation": scenario["presentation"],
            "time_course": scenario["time_course"],
            "findings": scenario["findings"],
            "ruleset": self._("Rule set: {title}, version {version}.").format(
                title=(self.chinese and ruleset["title_zh"]) or ruleset["title"],
                version=ruleset["version"],
            ),
            "source": self._("Source: {guideline}; {issuer}, {year}.").format(
                guideline=provenance["guideline"],
                issuer=provenance["issuing_body"],
                year=provenance["year"],
            ),
            "source_note": provenance["note"],
            "source_url": provenance["url"],
        }

    def _institution_label(self, institution: dict[str, Any]) -> str:
        return self._("{institution} — {tier}").format(
            institution=self._name(institution), tier=self._label(TIERS, institution["tier"])
        )

    def _institution(self, institution: dict[str, Any]) -> dict[str, Any]:
        tier = self._label(TIERS, institution["tier"])
        return {
            "id": institution["id"],
            "name": self._name(institution),
            "tier": tier,
            "where": self._("You work at {institution}: {tier}.").format(
                institution=self._name(institution), tier=tier
            ),
            "label": self._institution_label(institution),
            # Joined here, once: the template's `join` escapes every item on its own, and the
            # decision form lists every hospital of the consortium with its whole lists.
            "capabilities": self.join(
                self._label(CAPABILITIES, c) for c in institution["capabilities"]
            ),
            "departments": self.join(
                self._label(DEPARTMENTS, d) for d in institution["departments"]
            ),
        }

    def _targets(self, view: dict[str, Any], exclude: set[str] = frozenset()) -> dict[str, Any]:
        """The hospitals and departments a learner can send the patient to (all of them: the
        server, not the form, says which referral the consortium can take). Each department
        names the hospitals that have it, so that the page offers only the chosen hospital's
        (without JavaScript all are listed, and the server refuses one the hospital lacks)."""
        offered = [
            i
            for i in sorted(
                view["options"]["institutions"],
                key=lambda i: ({"tertiary": 0, "secondary": 1}.get(i["tier"], 2), i["name"]),
            )
            if i["id"] not in exclude
        ]
        departments = sorted(
            {d for i in offered for d in i["departments"]},
            key=lambda d: self._label(DEPARTMENTS, d),
        )
        return {
            "step": view["step"],
            "institutions": [self._institution(i) for i in offered],
            "departments": [
                {
                    "id": d,
                    "label": self._label(DEPARTMENTS, d),
                    "at": " ".join(i["id"] for i in offered if d in i["departments"]),
                }
                for d in departments
            ],
        }

    def _decision_form(self, view: dict[str, Any]) -> dict[str, Any]:
        options = view["options"]
        form = self._targets(view)
        form.update(
            {
                "dispositions": [
                    {
                        "value": d,
                        "label": self._label(DISPOSITIONS, d),
                        "hint": self._label(DISPOSITION_HINTS, d),
                    }
                    for d in options["dispositions"]
                ],
                "priorities": [
                    {"value": p, "label": self._label(PRIORITIES, p)} for p in options["priorities"]
                ],
                "red_flags": [
                    {"id": t["id"], "label": self._name(t)} for t in options["red_flags"]
                ],
                "findings": [
                    {"id": f["id"], "label": f["label"]} for f in view["scenario"]["findings"]
                ],
                "letter": {item: self._label(LETTER_ITEMS, item) for item in LETTER_ITEMS},
                "letter_limit": self._(
                    "The whole letter may be up to {limit} characters long."
                ).format(limit=options["letter_size_limit"]),
            }
        )
        return form

    # ---- after the decision -----------------------------------------------------------------
    def _decision(
        self,
        decision: dict[str, Any],
        institutions: dict[str, dict],
        terms: dict[str, str],
        findings: dict[str, str],
    ) -> dict[str, Any]:
        target = institutions.get(decision.get("target_institution_id") or "")
        letter = decision.get("letter")
        return {
            "disposition": self._label(DISPOSITIONS, decision["disposition"]),
            "priority": self._label(PRIORITIES, decision["priority"]),
            "target": self._institution_label(target) if target else "",
            "department": self._label(DEPARTMENTS, decision.get("department")),
            "red_flags": [terms.get(c, c) for c in decision["recognised_red_flags"]],
            "letter": [
                {"label": self._label(LETTER_ITEMS, "reason"), "text": letter["reason"]},
                {"label": self._label(LETTER_ITEMS, "history"), "text": letter["history"]},
                {
                    "label": self._label(LETTER_ITEMS, "key_findings"),
                    "text": "; ".join(findings.get(c, c) for c in letter["key_findings"]),
                },
                {
                    "label": self._label(LETTER_ITEMS, "treatment_given"),
                    "text": letter["treatment_given"],
                },
                {"label": self._label(LETTER_ITEMS, "question"), "text": letter["question"]},
                {
                    "label": self._label(LETTER_ITEMS, "supporting_info"),
                    "text": "; ".join(letter["supporting_info"]),
                },
            ]
            if letter
            else [],
        }

    def _rubric_label(self, item: dict[str, Any], terms: dict[str, str]) -> str:
        template = RUBRIC_LABELS.get(item["id"]) or RUBRIC_LABELS.get(item["kind"], item["id"])
        subject = item.get("subject", "")
        if item.get("needed") is False:
            # A referral line when the rule set keeps the patient here: earned by not referring.
            return self._("{label} (no referral needed)").format(label=self._(template))
        if item["kind"] == "closed_loop":
            return self._("{label} (within {days})").format(
                label=self._(template), days=self._days(int(subject))
            )
        if item["kind"] == "disposition":
            return self._("{label}: {disposition}").format(
                label=self._(template), disposition=self._label(DISPOSITIONS, subject)
            )
        if item["kind"] == "department" and subject:
            return self._("{label}: {department}").format(
                label=self._(template), department=self._label(DEPARTMENTS, subject)
            )
        return self._(template).format(subject=terms.get(subject, subject))

    def _rubric(self, items: list[dict], terms: dict[str, str]) -> list[dict[str, Any]]:
        return [
            {
                "label": self._rubric_label(item, terms),
                "result": self._points(item["points"], item["max_points"]),
                "tone": _tone(item["points"], item["max_points"]),
            }
            for item in items
        ]

    def _feedback(
        self, feedback: dict[str, Any], institutions: dict[str, dict], terms: dict[str, str]
    ) -> dict[str, Any]:
        expected = feedback["expected"]
        answer = self._("{disposition}, priority {priority}.").format(
            disposition=self._label(DISPOSITIONS, expected["disposition"]),
            priority=self._label(PRIORITY_SHORT, expected["priority"]),
        )
        details = []
        if expected["disposition"] != "manage_locally":
            details.append(
                self._("Level of care: {tier}.").format(
                    tier=self._label(TIERS, expected["receiving_tier"] or expected["tier"])
                )
            )
            if expected["department"]:
                details.append(
                    self._("Department: {department}.").format(
                        department=self._label(DEPARTMENTS, expected["department"])
                    )
                )
            if expected["required_capability"]:
                details.append(
                    self._("The patient needs: {capability}.").format(
                        capability=self._label(CAPABILITIES, expected["required_capability"])
                    )
                )
            receivers = [
                self._name(institutions[i])
                for i in expected["receiving_institutions"]
                if i in institutions
            ]
            if receivers:
                able = self._("Hospitals of the consortium that can take the patient: {names}.")
                details.append(able.format(names=self.join(receivers)))
        classification = feedback["classification"]
        return {
            "classification": self._label(CLASSIFICATIONS, classification),
            "tone": CLASSIFICATION_TONES.get(classification, "poor"),
            "answer": answer,
            "details": details,
            "urgency_error": feedback["urgency_error"],
            "points": self._points(feedback["points"], feedback["max_points"]),
            "items": self._rubric(feedback["items"], terms),
            "missed_red_flags": [terms.get(c, c) for c in feedback["missed_red_flags"]],
            "overcalled_red_flags": [terms.get(c, c) for c in feedback["overcalled_red_flags"]],
            "missing_letter_items": [
                self._label(LETTER_ITEMS, i) for i in feedback["missing_letter_items"]
            ],
            "unmet_letter_requirements": [
                f"{self._label(LETTER_ITEMS, r['letter_item'])}: "
                f"{(self.chinese and r['label_zh']) or r['label']}"
                for r in feedback.get("unmet_letter_requirements", [])
            ],
        }

    def _contact(self, contact: dict[str, Any], institutions: dict[str, dict]) -> dict[str, Any]:
        institution = institutions.get(contact["institution_id"])
        reason = ""
        if contact["reason"]:
            params = dict(contact["reason"])
            code = params.pop("code", "")
            params = self.in_words(params)
            if institution:
                params["institution"] = self._name(institution)
            reason = translate_code(self._, code, params, default=code, package="referral_tracking")
        return {
            "institution": self._institution_label(institution)
            if institution
            else contact["institution_id"],
            "department": self._label(DEPARTMENTS, contact["department"]),
            "status": contact["status"],
            "status_label": self._label(CONTACT_STATUS, contact["status"]),
            "reason": reason,
        }

    def _receiving(
        self, response: dict[str, Any], view: dict[str, Any], institutions: dict[str, dict]
    ) -> dict[str, Any]:
        accepted = [c for c in view.get("contacts", []) if c["status"] == "accepted"]
        by = institutions.get(accepted[-1]["institution_id"]) if accepted else None
        return {
            "by": self._("The answer of {institution}").format(institution=self._name(by))
            if by
            else self._("What the hospital that took the patient found"),
            "diagnosis": response["diagnosis"],
            "treatment": response["treatment"],
            "downward_summary": response["downward_summary"],
            "instructions": response["instructions"],
        }

    # ---- follow-up --------------------------------------------------------------------------
    def _plan_fields(
        self, follow_up: dict[str, Any], plan: dict[str, Any] | None, interval: int | None = None
    ) -> dict:
        """The plan's inputs, filled with `plan` when there is one; at a visit, the interval
        starts as the days until the next visit comes anyway (within the rule set's bounds)."""
        chosen = plan or {}
        low, high = follow_up["min_interval_days"], follow_up["max_interval_days"]
        if interval is None:
            interval = chosen.get("interval_days", "")
        else:
            interval = min(max(interval, low), high)

        def choices(group: str, key: str) -> list[dict[str, Any]]:
            return [
                {"id": t["id"], "label": self._name(t), "checked": t["id"] in chosen.get(key, [])}
                for t in follow_up[group]
            ]

        return {
            "interval": interval,
            "min": low,
            "max": high,
            "bounds": self._("Between {low} and {high} days, as the rule set allows.").format(
                low=low, high=high
            ),
            "monitoring": choices("monitoring_items", "monitoring"),
            "targets": choices("targets", "targets"),
            "criteria": choices("re_referral_criteria", "re_referral_criteria"),
        }

    def _plan(
        self, plan: dict[str, Any], feedback: list[dict], terms: dict[str, str], adjusted: bool
    ) -> dict[str, Any]:
        days = self._days(plan["interval_days"])
        return {
            "interval": self._("Adjusted at a visit: the next visit {days} after it.").format(
                days=days
            )
            if adjusted
            else self._("First follow-up after {days}.").format(days=days),
            "monitoring": [terms.get(c, c) for c in plan["monitoring"]],
            "targets": [terms.get(c, c) for c in plan["targets"]],
            "criteria": [terms.get(c, c) for c in plan["re_referral_criteria"]],
            "items": self._rubric(feedback, terms),
            "points": self._points(
                sum(i["points"] for i in feedback), sum(i["max_points"] for i in feedback)
            ),
        }

    def _visit_heading(self, visit: dict[str, Any]) -> str:
        return self._("Visit {number} of {total}: day {day}").format(
            number=visit["number"], total=visit["of"], day=visit["day"]
        )

    def _visit_findings(self, visit: dict[str, Any], terms: dict[str, str]) -> list[dict]:
        return [
            {"label": terms.get(f["item"], f["item"]), "text": f["text"], "abnormal": f["abnormal"]}
            for f in visit["findings"]
        ]

    def _past_visit(self, visit: dict[str, Any], terms: dict[str, str]) -> dict[str, Any]:
        right = visit["choice"] == visit["expected_choice"]
        return {
            "heading": self._visit_heading(visit),
            "findings": self._visit_findings(visit, terms),
            "choice": self._("You chose: {choice}.").format(
                choice=self._label(VISIT_CHOICES, visit["choice"])
            ),
            "expected": ""
            if right
            else self._("The better choice: {choice}.").format(
                choice=self._label(VISIT_CHOICES, visit["expected_choice"])
            ),
            "tone": "good" if right else "poor",
            "explanation": visit["explanation"],
            "note": visit["note"],
        }

    def _current_visit(
        self,
        visit: dict[str, Any],
        terms: dict[str, str],
        follow_up: dict[str, Any],
        plan: dict[str, Any],
    ) -> dict[str, Any]:
        return {
            "heading": self._visit_heading(visit),
            "findings": self._visit_findings(visit, terms),
            "choices": [
                {"value": c, "label": self._label(VISIT_CHOICES, c)}
                for c in follow_up["visit_choices"]
            ],
            "plan": self._plan_fields(follow_up, plan, interval=visit.get("days_to_next_visit")),
        }

    def _summary(self, summary: dict[str, Any], terms: dict[str, str]) -> dict[str, Any]:
        closed = summary["closed_loop_met"]
        if closed is None:
            loop = ""
        elif closed:
            loop = self._("Closed loop: you followed up the referral result in time.")
        elif summary.get("first_visit_day"):
            loop = self._(
                "Closed loop not met: your first follow-up came on day {day}, later than the "
                "{days} the rule set allows."
            ).format(day=summary["first_visit_day"], days=self._days(summary["closed_loop_days"]))
        else:
            loop = self._(
                "Closed loop not met: your first follow-up came later than the rule set expects."
            )
        missed = []
        for item in summary["missed_findings"]:
            template = (
                self._("Day {day}: {item} was not monitored, and it was abnormal.")
                if item["abnormal"]
                else self._("Day {day}: {item} was not monitored.")
            )
            missed.append(
                {
                    "text": template.format(day=item["day"], item=terms.get(item["item"], "")),
                    "abnormal": item["abnormal"],
                }
            )
        classification = summary["classification"]
        return {
            "score": self._("Your score: {points}.").format(
                points=self._points(summary["score"], summary["max_score"])
            ),
            "classification": self._label(CLASSIFICATIONS, classification),
            "tone": CLASSIFICATION_TONES.get(classification, "poor"),
            "urgency": self._("The urgency you chose was not the rule set's.")
            if summary["urgency_error"]
            else self._("The urgency you chose was right."),
            "urgency_error": summary["urgency_error"],
            "missing_letter_items": [
                self._label(LETTER_ITEMS, i) for i in summary["missing_letter_items"]
            ],
            "closed_loop": loop,
            "closed_loop_met": bool(closed),
            "re_referred": self._("You referred the patient upward again on day {day}.").format(
                day=summary["re_referred_on_day"]
            )
            if summary["re_referred_on_day"]
            else "",
            "missed": missed,
        }
