"""Personal data (PIPL; 等保 2.0 level 3): masking on the read side and the reveal log.

masking (pure: phone and ID-card numbers in free text), texts (what a viewer reads of free
text others wrote: cases, orders, providers' review), reveal (an explicit, reasoned, audited
unmasking). Who may reveal is decided in access (access.ensure_may_reveal), like every other
permission; retention (anonymising closed cases) is cases.retention, as it rewrites cases.
See docs/privacy.md.
"""
