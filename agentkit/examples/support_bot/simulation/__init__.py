"""The Dashly simulation behind ``generate.py``: the world model (``world``), its actors
(``actors``), one order's life (``orders``), refunds (``refunds``) and the rows they leave in the
five tables (``rows``). Deterministic for a seed: every random draw comes from a seeded stream."""
