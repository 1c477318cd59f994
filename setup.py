"""Package list for setuptools (everything else is in pyproject.toml).

The repository keeps `templates/` at the top level, as the project layout asks; the wheel ships it as
the package data of `rentcal.templates` (mapped in pyproject.toml's package-dir), where
`rentcal.paths.templates_dir()` finds it in an installed copy. pyproject.toml alone cannot add a
mapped package beside automatic discovery, hence this file.

Folders of data files (portal/static, widget/static, the template folders) are listed as namespace
packages: setuptools warns about, and will stop shipping, data in importable folders missing from the list.
"""

from setuptools import find_namespace_packages, setup

PACKAGES = ["rentcal*", "rental*", "calendars*", "portal*", "widget*", "tasks*", "sandboxes*", "migrations*"]
TEMPLATES = ["rentcal.templates", *(f"rentcal.templates.{p}" for p in find_namespace_packages(where="templates"))]

setup(packages=[*find_namespace_packages(include=PACKAGES), *TEMPLATES])
