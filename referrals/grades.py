"""The Care Inspectorate's six-point scale ("How well are we improving the lives of children and
young people?"), used by the practice hub's reviews and audits and by IRD quality reviews."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Grade(models.IntegerChoices):
    EXCELLENT = 6, "6 Excellent"
    VERY_GOOD = 5, "5 Very good"
    GOOD = 4, "4 Good"
    ADEQUATE = 3, "3 Adequate"
    WEAK = 2, "2 Weak"
    UNSATISFACTORY = 1, "1 Unsatisfactory"

    @property
    def words(self) -> str:
        """ "very good": the label without its number, as a sentence uses it."""
        return self.label.split(" ", 1)[1].lower()


GRADE_MEANINGS = {
    6: "outstanding or sector leading",
    5: "major strengths",
    4: "important strengths, with some areas for improvement",
    3: "strengths just outweigh weaknesses",
    2: "important weaknesses",
    1: "major weaknesses: urgent action needed",
}
GRADE_RANGE = [MinValueValidator(Grade.UNSATISFACTORY), MaxValueValidator(Grade.EXCELLENT)]
