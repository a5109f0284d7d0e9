"""Terminal text by display width: wrapping and padding, and the --stats page's aligned columns."""

from datetime import UTC

import pytest

from autograder.selfstudy.schedule import Schedule
from autograder.selfstudy.session import format_stats
from autograder.selfstudy.textlayout import math_text, pad, plain, width, wrap


def test_stats_columns_align_with_chinese_titles(tmp_path, clock):
    schedule = Schedule(tmp_path, tz=UTC, clock=clock)
    titles = {"t05": "Scaled dot-product attention", "t01": "Common problems of multimodal models",
              "t13": "CLIP contrastive loss"}
    for key in ("interview:t05_attention", "interview:t01_class_balance", "interview:t13_clip_loss"):
        schedule.rate(key, "Again")
    text = format_stats(schedule, schedule.stats(), columns=200)
    rows = {line.split()[0]: line for line in text.splitlines() if "due today" in line}
    assert sorted(rows) == ["t01", "t05", "t13"]
    # the English titles start in one display column although the Chinese titles before them
    # (缩放点积注意力, CLIP 对比损失, and a long one cut with …) have different character counts
    starts = {width(row[:row.index(titles[tid])]) for tid, row in rows.items()}
    assert len(starts) == 1
    assert len({row.index(titles[tid]) for tid, row in rows.items()}) == 3
    assert "…" in rows["t01"] and all(width(row) <= 200 for row in rows.values())


def test_wrap_and_pad_count_display_columns():
    text = "注意力需要计算所有 query-key 对，复杂度 $O(L^2 d)$，通常比卷积或池化更贵；它提高的是表达能力，“不是效率”。"
    lines = wrap(text, 20)
    assert all(width(line) <= 20 for line in lines) and len(lines) > 3
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert not any(line.startswith(("，", "；", "。", "”")) or line.endswith("“") for line in lines)
    assert width("缩放点积") == 8 and width(pad("缩放", 6)) == 6 and pad("ab", 6) == "ab    "


@pytest.mark.parametrize(("markdown", "shown"), [
    (r"$\mathrm{softmax}\left(\frac{QK^\top}{\sqrt{d_k}}\right)V$", "softmax(QKᵀ/√(d_k))V"),
    (r"size $2 \cdot n_{\text{layers}} \cdot H_{kv}$ bytes", "size 2 · n_layers · H_kv bytes"),
    (r"mapping $\lfloor h/G\rfloor$, $(S/p)^2$ tokens", "mapping ⌊h/G⌋, (S/p)² tokens"),
    (r"$$-\log \sigma(\beta x)$$", "-log σ(βx)"),
    ("code `x = $a$` stays, $5 and $", "code `x = $a$` stays, $5 and $"),  # no formula: untouched
    (r"broken $\frac{a$ stays readable", r"broken \frac{a stays readable"),
])
def test_formulas_become_unicode_text(markdown, shown):
    assert math_text(markdown) == shown


def test_plain_shows_no_latex_in_any_key_point():
    from autograder.topics import all_topics

    for topic in all_topics():
        for language in ("中文", "English"):
            for _, point in topic.rubric(language):
                text = plain(point)
                assert "$" not in text and "\\" not in text, (topic.slug, text)


def test_plain_drops_bold_markers_but_keeps_code():
    assert plain("**Note**: `w = (1 - beta) / (1 - beta**n_c)` and **more**") == \
        "Note: `w = (1 - beta) / (1 - beta**n_c)` and more"
