"""The recorded Dashly support conversations behind ``make_transcripts.py``: a point-in-time view of
the generated tables (``timeline``), the ``Recorder`` (``recorder``), and one module per family of
scenarios: ``delivery``, ``claims``, ``refunds``, ``account`` and ``safety`` (requests to refuse)."""
