"""The sandboxes declare their handlers' parameters the way current Litestar wants them.

The sandboxes otherwise run only as subprocesses, out of reach of the suite's `filterwarnings`; the web
app is built in-process by tests/security/test_roles.py."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pytest
from litestar import Litestar
from litestar.exceptions import LitestarDeprecationWarning

from sandboxes.google.app import create_app as google_app
from sandboxes.microsoft.app import create_app as microsoft_app


@pytest.mark.parametrize("create_app", [google_app, microsoft_app], ids=["google", "microsoft"])
def test_building_a_sandbox_raises_no_litestar_deprecation(create_app: Callable[..., Litestar]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", LitestarDeprecationWarning)
        app = create_app("http://sandbox.test")
    assert app.routes
