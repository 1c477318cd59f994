"""Package list for setuptools (everything else is in pyproject.toml).

The repository keeps `templates/` at the top level, as the project layout asks; the wheel ships it as
the package data of `rentcal.templates` (mapped in pyproject.toml's package-dir), where
`rentcal.paths.templates_dir()` finds it in an installed copy. pyproject.toml alone cannot add a
mapped package beside automatic discovery, hence this file.
"""

from setuptools import find_packages, setup

PACKAGES = ["rentcal*", "rental*", "calendars*", "portal*", "widget*", "tasks*", "sandboxes*", "migrations*"]

setup(packages=[*find_packages(include=PACKAGES), "rentcal.templates"])
