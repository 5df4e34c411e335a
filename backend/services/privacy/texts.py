"""What a viewer reads of free text others wrote: phone and ID-card numbers masked, except
for the text's author. Every view and schema that shows free text to someone other than its
author passes it through here (cases' descriptions, addresses, form answers and timeline
payloads; orders' notes and comments). Those who must call back read the whole through an
explicit, audited reveal (privacy.reveal), never by default."""
from __future__ import annotations

from backend.services.privacy.masking import mask_text, mask_value


def text_for(viewer_id: int | None, author_id: int | None, text: str | None) -> str | None:
    """The text as the viewer reads it: whole for its author, masked for everyone else."""
    if author_id is not None and viewer_id == author_id:
        return text
    return mask_text(text)


def value_for(viewer_id: int | None, author_id: int | None, value):
    """A JSON-like value (a log payload, a form's answers), its strings as text_for reads them."""
    if author_id is not None and viewer_id == author_id:
        return value
    return mask_value(value)
