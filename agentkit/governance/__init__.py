"""Governance: principals, policy (agent and role allow-lists, PII), scope resolution and audit."""
