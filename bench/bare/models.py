from django.db import models


class Concern(models.Model):
    external_reference = models.CharField(max_length=64)
    summary = models.TextField()
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "bare"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.external_reference
