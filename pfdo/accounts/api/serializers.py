"""API shapes of login, the current user and password change."""

from rest_framework import serializers

from pfdo.accounts.models import Membership, User


class TokenRequestSerializer(serializers.Serializer):
    login = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class MembershipSerializer(serializers.ModelSerializer):
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    # A regional admin has no municipality; most other roles have no region: either may be null.
    municipality = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    region = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Membership
        fields = ["role", "role_display", "municipality", "region", "is_provider_admin"]


class MeSerializer(serializers.ModelSerializer):
    login = serializers.CharField(source="username", read_only=True)
    full_name = serializers.CharField(read_only=True)
    memberships = MembershipSerializer(source="active_memberships", many=True, read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "login",
            "full_name",
            "email",
            "is_superuser",
            "must_change_password",
            "memberships",
        ]


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(
        allow_null=True,
        help_text="Передавайте в заголовке: Authorization: Bearer <token>. Токен "
        "показывается только в первом ответе: повтор с тем же Idempotency-Key "
        "(Idempotent-Replayed: true) отвечает здесь null — токен нигде не хранится открыто.",
    )
    expires_at = serializers.DateTimeField()
    user = MeSerializer()


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(max_length=4096, trim_whitespace=False)
    new_password = serializers.CharField(max_length=4096, trim_whitespace=False)
