"""The WCAG contrast check, and that it decides which themes the console offers."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.theme import BUILTIN_THEMES

from themes import THEME_VARIABLE_DEFAULTS, THEMES, offered_themes
from themes.contrast import BORDER_MIN, TEXT_MIN, contrast_failures, contrast_ratio, relative_luminance


def test_contrast_ratio_matches_wcag() -> None:
    assert contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast_ratio((90, 90, 90), (90, 90, 90)) == pytest.approx(1.0)
    # WCAG's own example: #767676 on white is the lightest grey that passes AA (4.54:1).
    assert contrast_ratio((0x76, 0x76, 0x76), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)
    assert relative_luminance((255, 255, 255)) == pytest.approx(1.0)
    assert (TEXT_MIN, BORDER_MIN) == (4.5, 3.0)


@pytest.mark.parametrize("name", list(THEMES))
def test_every_console_theme_passes(name: str) -> None:
    failures = contrast_failures(THEMES[name], defaults=THEME_VARIABLE_DEFAULTS)
    assert not failures, "\n".join(map(str, failures))


def test_only_passing_console_themes_are_offered() -> None:
    offered = offered_themes()
    assert list(offered) == list(THEMES)  # every console theme passes, in cycling order
    assert not set(offered) & set(BUILTIN_THEMES)


def test_the_check_catches_unreadable_themes() -> None:
    # Textual's solarized-light (muted text on cream) and the old trade-light pane border
    # ($panel-lighten-1, white on the near-white background) both fail.
    solarized = contrast_failures(BUILTIN_THEMES["solarized-light"], defaults=THEME_VARIABLE_DEFAULTS)
    assert solarized
    light = THEMES["trade-light"]
    old_border = light.to_color_system().generate()["panel-lighten-1"]
    old = replace(light, variables={**light.variables, "pane-border": old_border})
    [failure] = [
        f for f in contrast_failures(old, defaults=THEME_VARIABLE_DEFAULTS) if f.foreground == "pane-border"
    ]
    assert failure.ratio < 1.1
