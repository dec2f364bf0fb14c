"""API of ratings: scoped reads, the parent's rating and its change, the operator's
moderation, the provider's reply. Each write is one service call."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from pfdo.common.api.viewsets import ScopedModelViewSet
from pfdo.common.errors import NotFound
from pfdo.enrolment.models import Contract
from pfdo.ratings import selectors, services
from pfdo.ratings.api.serializers import (
    HideSerializer,
    RatingCreateSerializer,
    RatingSerializer,
    RatingUpdateSerializer,
    ReplyCreateSerializer,
)
from pfdo.ratings.filters import RatingFilter
from pfdo.ratings.models import CRITERIA, Rating

SCOPE = (
    "Родитель видит оценки по договорам своих детей, сотрудник поставщика — оценки программ "
    "своего поставщика, оператор — своего муниципалитета, администратор региона — региона; "
    "все (и без входа) — опубликованные отзывы опубликованных программ. Автор — всегда "
    "«Родитель», без имён; ребёнок не называется. Средний балл программы и поставщика — в "
    "/api/v1/programs/ и /api/v1/providers/ (rating_avg — null, пока оценок меньше трёх; "
    "rating_count — всегда)."
)


@extend_schema_view(
    list=extend_schema(summary="Оценки программ", description=SCOPE),
    retrieve=extend_schema(summary="Оценка программы", description=SCOPE),
)
class RatingViewSet(ScopedModelViewSet):
    model = Rating
    serializer_class = RatingSerializer
    filterset_class = RatingFilter
    permission_map = {
        "list": None,
        "retrieve": None,
        "create": "ratings.rate",
        "partial_update": "ratings.change",
        "publish": "ratings.moderate",
        "hide": "ratings.moderate",
        "reply": "ratings.reply",
    }

    def scope_queryset(self, queryset):
        return queryset.select_related(
            "program", "provider", "contract", "municipality", "reply"
        ).order_by("-created_at", "-pk")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not hasattr(self, "_relations"):
            self._relations = selectors.relations_of(self.request.user)
        context["relations"] = self._relations
        return context

    def _render(self, rating: Rating, code=status.HTTP_200_OK) -> Response:
        fresh = self.scope_queryset(Rating.objects.filter(pk=rating.pk)).get()
        return Response(self.get_serializer(fresh).data, status=code)

    @extend_schema(
        request=RatingCreateSerializer,
        responses={201: RatingSerializer},
        summary="Оценить программу по договору",
        description="Законный представитель ребёнка, один раз по договору: после первого "
        "оплаченного месяца (счёт за месяц принят) или завершения договора. Оценки 1–5 (вне "
        "диапазона — 400 validation_error с полем); повторная оценка по договору — 409 "
        "already_rated; договор ещё не даёт права оценить — 409 not_eligible; чужой или "
        "неизвестный договор — 404. Текст отзыва публикуется после модерации.",
    )
    def create(self, request):
        data = RatingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        contract = (
            Contract.objects.for_user(request.user)
            .filter(pk=values["contract"], child__guardianships__user=request.user)
            .first()
        )
        if contract is None:
            raise NotFound("Договор не найден.")
        rating = services.rate(
            actor=request.user,
            contract=contract,
            scores={name: values[name] for name, _label in CRITERIA},
            text=values.get("text", ""),
        )
        return self._render(rating, status.HTTP_201_CREATED)

    @extend_schema(
        request=RatingUpdateSerializer,
        responses={200: RatingSerializer},
        summary="Изменить оценку",
        description="Автор (законный представитель) в течение PFDO_RATING_EDIT_DAYS дней "
        "(по умолчанию 30) после оценки; позже — 409 edit_window_closed. Не переданные поля "
        "не меняются; изменённый текст снова уходит на модерацию.",
    )
    def partial_update(self, request, pk=None):
        rating = self.get_object()
        data = RatingUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        rating = services.change(
            actor=request.user,
            rating=rating,
            scores={name: values.get(name, getattr(rating, name)) for name, _label in CRITERIA},
            text=values.get("text", rating.text),
        )
        return self._render(rating)

    @extend_schema(
        request=None,
        responses={200: RatingSerializer},
        summary="Опубликовать отзыв",
        description="Оператор муниципалитета (администратор региона). Отзыв не ждёт решения "
        "(нет текста или уже опубликован) — 409 not_moderatable.",
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._render(services.publish(actor=request.user, rating=self.get_object()))

    @extend_schema(
        request=HideSerializer,
        responses={200: RatingSerializer},
        summary="Скрыть отзыв с причиной",
        description="Оператор муниципалитета (администратор региона). Причина обязательна — её "
        "видит автор (и получает уведомление). Баллы оценки остаются в рейтинге.",
    )
    @action(detail=True, methods=["post"])
    def hide(self, request, pk=None):
        rating = self.get_object()
        data = HideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rating = services.hide(
            actor=request.user, rating=rating, reason=data.validated_data["reason"]
        )
        return self._render(rating)

    @extend_schema(
        request=ReplyCreateSerializer,
        responses={201: RatingSerializer},
        summary="Ответить на оценку (поставщик, один раз)",
        description="Сотрудник поставщика программы. Ответ публичный и один: повторный — 409 "
        "already_replied; оценка чужого поставщика — 404 или 403.",
    )
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        rating = self.get_object()
        data = ReplyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.reply(actor=request.user, rating=rating, text=data.validated_data["text"])
        return self._render(rating, status.HTTP_201_CREATED)
