"""The rental domain: tables, booking rules, availability. No web, no providers."""

import os

os.environ.setdefault("PICCOLO_CONF", "rentcal.piccolo_conf")
