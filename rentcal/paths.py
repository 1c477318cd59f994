"""Where Rentcal finds the files it reads at run time, from a source checkout or an installed wheel.

The repository keeps `templates/` at the top level; the wheel ships it as `rentcal/templates`
(setup.py maps it), so both layouts are looked up here. Data never goes inside site-packages.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
# The checkout when running from source (or an editable install); site-packages when installed.
SOURCE_ROOT = PACKAGE.parent


def running_from_source() -> bool:
    return (SOURCE_ROOT / "pyproject.toml").is_file() and (SOURCE_ROOT / "templates").is_dir()


def templates_dir() -> Path:
    """Jinja2 templates: the copy inside the installed package, else the checkout's templates/."""
    shipped = PACKAGE / "templates"
    return shipped if shipped.is_dir() else SOURCE_ROOT / "templates"


def default_data_dir() -> Path:
    """`.data/` of the checkout when running from source, else the user data directory
    (`$XDG_DATA_HOME/rentcal`, usually `~/.local/share/rentcal`)."""
    if running_from_source():
        return SOURCE_ROOT / ".data"
    import platformdirs

    return Path(platformdirs.user_data_dir("rentcal", appauthor=False))
