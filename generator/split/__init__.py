"""Bundles sized for one proxy (`gen-bundle --split DIR`, docs/split.md).

The compiled data of the whole mesh → one data document per proxy holding only the records that
proxy's checks can reach, with the same shape, so the same fixed library decides from it exactly as
from the whole document. Pure functions (`proxies`, `distribute`, `layout`) and the writer (`write`).
"""
