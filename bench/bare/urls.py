from django.urls import path
from rest_framework import generics, serializers

from bench.bare.intake import intake
from bench.bare.models import Concern


class ConcernSerializer(serializers.ModelSerializer):
    class Meta:
        model = Concern
        fields = ["id", "external_reference", "summary", "body", "created_at"]


class Concerns(generics.ListCreateAPIView):
    queryset = Concern.objects.all()
    serializer_class = ConcernSerializer


class ConcernDetail(generics.RetrieveAPIView):
    queryset = Concern.objects.all()
    serializer_class = ConcernSerializer


urlpatterns = [
    path("api/v1/concerns/", Concerns.as_view()),
    path("api/v1/concerns/<int:pk>/", ConcernDetail.as_view()),
    path("intake/", intake),
]
