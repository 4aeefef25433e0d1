"""The consortium module as a learner meets it in one unit: a case, a referral exercise and the
CME credit; then the CME office downloads the records and finds that learner."""

import csv
import io
import json
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from case_teaching import load_demo_case
from referral_tracking import demo_exercise
from tests.browser.test_case_learner import play as play_case
from tests.browser.test_referral_learner import follow_the_rule_set

pytestmark = pytest.mark.browser

MODULE = "Consortium module: hypertension from the township to the county"


def module_path(page, student: str) -> str:
    page.goto(f"/?student={student}")
    href = page.get_by_role("link", name=MODULE).get_attribute("href")
    return f"{href.split('?')[0]}?student={student}"


def act(page, click) -> None:
    with page.expect_response(re.compile(r"/handler/.*/act/")) as response:
        click()
    assert response.value.status == 200, response.value.text()


def test_a_learner_earns_the_credit_of_the_module_and_the_cme_office_exports_it(clean_page):
    page = clean_page
    page.goto(module_path(page, "bt_module_learner"))
    credit = page.locator(".cme-credit")
    expect(credit.locator(".cme-credit-progress li").first).to_have_text(
        "○ Case: a hypertensive emergency: not completed yet."
    )

    play_case(page, load_demo_case("hypertensive_emergency"), decisions={})
    follow_the_rule_set(page, demo_exercise("hypertension_township"))

    # No reload: the credit block re-reads its view as the exercises above it complete.
    expect(credit.locator(".cme-credit-progress")).to_contain_text(
        "Done: Case: a hypertensive emergency"
    )
    expect(credit.locator(".cme-credit-progress")).not_to_contain_text("not completed yet")
    fill_profile(page, credit, "李建国", "210440100009876")
    # The evaluation was the last thing missing: the certificate comes with its answer, no
    # button to press, and the live region says so.
    evaluate(page, credit)
    certificate = credit.locator(".cme-certificate")
    certificate.wait_for()
    expect(credit.locator('[data-region="announce"]')).to_have_text(
        "Thank you: your evaluation is saved. The credit is awarded. Your certificate is shown."
    )
    assert credit.get_by_role("button", name="Claim my credit").count() == 0
    assert "李建国" in certificate.inner_text() and "2026-05-01-003" in certificate.inner_text()
    assert certificate.get_by_role("button", name="Print the certificate").is_visible()

    page.goto(module_path(page, "staff"))
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the credit records (CSV)").click()
    assert download.value.suggested_filename == "cme-credits-2026-05-01-003.csv"
    text = download.value.path().read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert any(row[0] == "李建国" and row[1] == "210440100009876" for row in rows[1:])
    expect(page.locator('[data-role="download-status"]').first).to_have_text(
        f"Downloaded: cme-credits-2026-05-01-003.csv, with {len(rows) - 1} credit record(s)."
    )


def fill_profile(page, credit, name: str, licence: str) -> None:
    profile = credit.locator('form[data-action="profile"]')
    profile.get_by_label("Name").fill(name)
    profile.get_by_label("Licence or certificate number").fill(licence)
    profile.get_by_label("Professional title").select_option("junior")
    profile.get_by_label("Institution", exact=True).fill("青山镇卫生院")
    profile.get_by_label("Level of your institution").select_option("primary")
    profile.get_by_label("Department").fill("全科")
    profile.get_by_label("Discipline").fill("General practice")
    act(page, profile.get_by_role("button", name="Save my profile").click)


def evaluate(page, credit) -> None:
    evaluation = credit.locator('form[data-action="evaluate"]')
    evaluation.locator('input[name="satisfaction"][value="5"]').check()
    evaluation.get_by_label("Will it change your practice?").select_option("planned")
    act(page, evaluation.get_by_role("button", name="Send my evaluation").click)


def complete_elsewhere(server, learner: str, usage_id: str, block_type: str) -> None:
    """The learner completed an exercise (its outcome row, as the block writes it), in
    another tab or on a phone: working through it here is the first test's business."""
    database = next(Path(server.var_dir).glob("*.db"))
    with sqlite3.connect(database, timeout=30) as connection:
        connection.execute(
            "INSERT INTO cme_records_learneroutcome (learner_id, course_id, usage_id, block_type,"
            " attempt, score, max_score, completed_at, detail) VALUES (?, '', ?, ?, 1, 9, 10, ?,"
            " '{}')",
            (learner, usage_id, block_type, datetime.now(UTC).isoformat()),
        )


def test_a_learner_who_finished_the_exercises_elsewhere_hears_the_credit_on_coming_back(
    clean_page, workbench_server
):
    page = clean_page
    page.goto(module_path(page, "bt_elsewhere"))
    credit = page.locator(".cme-credit")
    fill_profile(page, credit, "赵敏", "310440100005555")
    evaluate(page, credit)
    assert credit.locator(".cme-certificate").count() == 0  # the exercises are not done
    for block_type in ("cme_case", "cme_referral"):
        usage_id = page.locator(f'[data-block-type="{block_type}"]').first.get_attribute(
            "data-usage"
        )
        complete_elsewhere(workbench_server, "bt_elsewhere", usage_id, block_type)

    # Back from the other tab (or the phone's app to its web view): no reload needed.
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(credit.locator(".cme-certificate")).to_be_visible()
    expect(credit.locator('[data-region="announce"]')).to_have_text(
        "The credit is awarded. Your certificate is shown."
    )
    page.reload()  # told once: a later visit shows the certificate and announces nothing
    expect(page.locator(".cme-credit .cme-certificate")).to_be_visible()
    page.wait_for_timeout(600)
    expect(page.locator('.cme-credit [data-region="announce"]')).to_have_text("")


INVALID_XML = (
    "The XML export does not validate against the shipped schema (cme_credits.xsd): 1 "
    "problem(s), the first at line 3: Element 'name': too long. No file was handed over."
)


def test_the_staff_panel_shows_an_export_error_in_words_and_says_when_a_file_is_empty(
    clean_page, page_problems
):
    """What the server answers is the xblock tests' business (the 422, the empty file and its
    X-CME-Records: 0); here, what the staff member sees of such answers, by keyboard."""
    page = clean_page
    page.goto(module_path(page, "staff"))
    page_problems.expect(422, r"/export_xml/")
    page.route(
        re.compile(r"/export_xml/"),
        lambda route: route.fulfill(
            status=422, content_type="application/json", body=json.dumps({"error": INVALID_XML})
        ),
    )
    empty = "\ufeffName,Licence number\r\n"
    page.route(
        re.compile(r"/export_csv/"),
        lambda route: route.fulfill(
            status=200,
            content_type="text/csv; charset=utf8",
            headers={
                "Content-Disposition": 'attachment; filename="cme-credits-2026-05-01-003.csv"',
                "X-CME-Records": "0",
            },
            body=empty,
        ),
    )
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    page.get_by_role("link", name="Download the credit records (XML)").focus()
    page.keyboard.press("Enter")
    alert = page.locator('[data-downloads] [role="alert"]').first
    expect(alert).to_have_text(INVALID_XML)
    expect(alert).to_be_visible()
    assert downloads == []  # no failed download, no file

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the credit records (CSV)").focus()
        page.keyboard.press("Enter")
    assert download.value.path().read_bytes().decode("utf-8") == empty
    expect(page.locator('[data-role="download-status"]').first).to_have_text(
        "Downloaded: cme-credits-2026-05-01-003.csv. It holds no credit record: no credit of "
        "this activity is awarded yet (revoked credits are not exported)."
    )
    expect(alert).to_be_hidden()


REGION_NAMES = """() => Array.from(
  document.querySelectorAll('section[aria-labelledby], [role=region]'))
  .map((el) => (el.getAttribute('aria-labelledby') || '').split(' ')
    .map((id) => (document.getElementById(id) || {}).textContent || '').join(' ').trim()
    || el.getAttribute('aria-label') || '')"""


def test_staff_tell_each_blocks_staff_tools_apart_by_their_names(clean_page):
    """Two blocks on one page: each staff-tools landmark has a name of its own (axe's
    landmark-unique), the case's naming the case."""
    page = clean_page
    page.goto(module_path(page, "staff"))
    names = [name for name in page.evaluate(REGION_NAMES) if name]
    assert len(names) == len(set(names)), names
    staff = page.locator(".cme-case").get_by_role("region", name=re.compile("^Staff tools: .+"))
    expect(staff).to_have_count(1)


def test_a_learner_reading_chinese_sees_the_activitys_chinese_name(clean_page):
    page = clean_page
    page.goto(module_path(page, "bt_chinese_name") + "&lang=zh-cn")
    heading = page.locator(".cme-credit h2").first
    expect(heading).to_have_text("高血压社区管理与分级转诊")
    expect(page.locator(".cme-credit .cme-meta").first).to_contain_text("· I 类学分 ·")
    expect(page.locator(".cme-credit").first).not_to_contain_text("类别")


def earn_by_elsewhere(page, server, learner: str, lang: str) -> None:
    """`learner` opens the module in `lang`, fills the profile, evaluates and finishes both
    exercises elsewhere; back on the page, the certificate is there."""
    page.goto(module_path(page, learner) + f"&lang={lang}")
    credit = page.locator(".cme-credit")
    profile = credit.locator('form[data-action="profile"]')
    for name, value in (
        ("name", "王晓梅"),
        ("licence_number", "110440100001234"),
        ("institution", "青山镇卫生院"),
        ("department", "全科"),
        ("discipline", "全科医学"),
    ):
        profile.locator(f'[name="{name}"]').fill(value)
    act(page, profile.locator('button[type="submit"]').click)
    evaluation = credit.locator('form[data-action="evaluate"]')
    evaluation.locator('input[name="satisfaction"][value="5"]').check()
    act(page, evaluation.locator('button[type="submit"]').click)
    for block_type in ("cme_case", "cme_referral"):
        usage_id = page.locator(f'[data-block-type="{block_type}"]').first.get_attribute(
            "data-usage"
        )
        complete_elsewhere(server, learner, usage_id, block_type)
    page.reload()
    expect(credit.locator(".cme-certificate")).to_be_visible()


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ("Organiser", "provincial", "Class I: ", "Verification code", "110440100001234")),
        ("zh-cn", ("举办单位", "省级", "I 类学分", "验证码", "110440100001234")),
    ],
)
def test_the_certificate_prints_on_one_a4_page_with_what_a_cme_office_checks(
    clean_page, workbench_server, base_url, lang, words
):
    page = clean_page
    earn_by_elsewhere(page, workbench_server, f"bt_print_{lang}", lang)
    certificate = page.locator(".cme-certificate")
    certificate.locator("h3").focus()  # where the page puts the focus after the award
    for word in (*words, "2026-05-01-003", "王晓梅"):
        expect(certificate).to_contain_text(word)
    page.emulate_media(media="print")
    outline = certificate.locator("h3").evaluate("h => getComputedStyle(h).outlineStyle")
    assert outline == "none"
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
    page.emulate_media(media="screen")
    with page.expect_download() as download:
        certificate.locator("a[download]").click()
    badge = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert badge["issuer"]["id"] == base_url.rstrip("/")
    code = certificate.locator("code").inner_text()
    assert badge["id"] == f"urn:uuid:{code}"


def test_a_learner_giving_a_licence_number_another_account_earned_with_is_warned(
    clean_page, workbench_server
):
    page = clean_page
    earn_by_elsewhere(page, workbench_server, "bt_licence_first", "en")
    page.goto(module_path(page, "bt_licence_second"))
    credit = page.locator(".cme-credit")
    fill_profile(page, credit, "王晓梅", "110440100001234")
    expect(credit.get_by_role("alert")).to_contain_text(
        "This licence number is already on another account's credit in this course."
    )
