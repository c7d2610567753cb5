"""Documents, workflows, approvals, users and the audit trail (no Flask)."""
