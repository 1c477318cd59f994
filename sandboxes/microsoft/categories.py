"""Outlook's category colour presets (``preset0``..``preset24``) and the default master categories."""

from __future__ import annotations

PRESETS: dict[str, tuple[str, str]] = {
    "preset0": ("Red", "#e7a1a2"), "preset1": ("Orange", "#f9ba89"), "preset2": ("Brown", "#f7dd8f"),
    "preset3": ("Yellow", "#fcfa90"), "preset4": ("Green", "#78d168"), "preset5": ("Teal", "#9fdcc9"),
    "preset6": ("Olive", "#c6d2b0"), "preset7": ("Blue", "#9db7e8"), "preset8": ("Purple", "#b5a1e2"),
    "preset9": ("Cranberry", "#daaec2"), "preset10": ("Steel", "#dad9dc"), "preset11": ("DarkSteel", "#6b7994"),
    "preset12": ("Gray", "#bfbfbf"), "preset13": ("DarkGray", "#6f6f6f"), "preset14": ("Black", "#4f4f4f"),
    "preset15": ("DarkRed", "#c11a25"), "preset16": ("DarkOrange", "#e2620d"), "preset17": ("DarkBrown", "#c79930"),
    "preset18": ("DarkYellow", "#b9b300"), "preset19": ("DarkGreen", "#368f2b"), "preset20": ("DarkTeal", "#329b7a"),
    "preset21": ("DarkOlive", "#778b45"), "preset22": ("DarkBlue", "#2858a5"), "preset23": ("DarkPurple", "#5c3fa3"),
    "preset24": ("DarkCranberry", "#93446b"),
}  # fmt: skip
NONE_COLOR = "none"

DEFAULT_CATEGORIES = (
    ("Red category", "preset0"),
    ("Orange category", "preset1"),
    ("Yellow category", "preset3"),
    ("Green category", "preset4"),
    ("Blue category", "preset7"),
    ("Purple category", "preset8"),
)


def hex_colour(preset: str) -> str:
    return PRESETS.get(preset, ("None", "#ffffff"))[1]
