"""Personal data (PIPL; 等保 2.0 level 3): masking on the read side, the reveal log, retention.

masking (pure: phone and ID-card numbers in free text), texts (what a viewer reads of a
case's free text), reveal (an explicit, reasoned, audited unmasking), retention
(anonymising closed cases after PERSONAL_DATA_RETENTION_DAYS). Who may reveal is decided
in access (access.ensure_may_reveal), like every other permission.
"""
