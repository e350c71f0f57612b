"""The law packs as Cedar files: one ``<code>.cedar`` per state, plus ``core.cedar``."""
