"""The University agent: programmes, curricula, partnerships' academic side."""

from __future__ import annotations

import mesa
import numpy as np

UNIVERSITY_KINDS = ("technical", "art", "comprehensive")
FIELDS_TAUGHT = {"technical": (0,), "art": (1,), "comprehensive": (0, 1, 2)}


class University(mesa.Agent):
    """A university with one programme per field it teaches.

    Attributes:
        index: position in ``model.universities`` (used in student rows).
        kind: technical, art or comprehensive.
        fields: field indices taught.
        curriculum: (n_fields, K) what each programme teaches (unused rows for
            fields not taught).
        teaching_quality: scales how fast students learn the curriculum.
        reputation: in [0, 1]; moves each year toward its graduates' 6-month
            employment rate, falls with failed accreditation reviews; firms
            favour reputable partners and reputable programmes admit more.
        capacity: partnerships its staff can coordinate at once.
        intake_factor: (n_fields,) multiplier of each programme's intake.
        accredited: (n_fields,) result of the last accreditation review.
    """

    def __init__(self, model, index, kind, curriculum, teaching_quality, capacity):
        super().__init__(model)
        self.index = index
        self.kind = kind
        self.fields = FIELDS_TAUGHT[kind]
        self.curriculum = curriculum
        self.teaching_quality = float(teaching_quality)
        self.reputation = 0.5
        self.capacity = int(capacity)
        self.intake_factor = np.ones(curriculum.shape[0])
        self.accredited = np.ones(curriculum.shape[0], dtype=bool)
        self.review_offset = 0

    def review_curriculum(self, field, target, rate) -> None:
        """Move one programme's curriculum a share ``rate`` toward ``target``."""
        c = self.curriculum[field]
        self.curriculum[field] = c + min(1.0, rate) * (target - c)
