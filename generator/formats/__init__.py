"""Diagnostics out, in the format asked for: text (people), json (scripts), sarif (code scanning).

One writer per format, each a plain function of the run's diagnostics and outcome.
"""

from __future__ import annotations

FORMATS = ("text", "json", "sarif")
