"""Rentcal: configuration, embedded services and the command line."""

import os

os.environ.setdefault("PICCOLO_CONF", "rentcal.piccolo_conf")
